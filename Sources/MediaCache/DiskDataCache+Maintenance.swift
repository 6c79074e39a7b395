import Locking
import Foundation

public struct CacheStatistics: Sendable, Codable, Equatable {
    public var bytes: Int64
    public var budget: Int64
    public var items: Int
    public var blocks: Int
    public var evictedBlocks: Int
    public var corruptBlocks: Int

    public init(bytes: Int64, budget: Int64, items: Int, blocks: Int, evictedBlocks: Int, corruptBlocks: Int) {
        self.bytes = bytes
        self.budget = budget
        self.items = items
        self.blocks = blocks
        self.evictedBlocks = evictedBlocks
        self.corruptBlocks = corruptBlocks
    }
}

extension DiskDataCache {
    /// Removes everything cached (owner only: a guest would delete the owner's live work). Only what the cache
    /// wrote is removed; foreign entries and a live writer's temporaries stay.
    public func clear() async throws {
        guard isOwner else { throw CacheIOError(errno: EBUSY, operation: "clear \(directory) (another process owns it)") }
        let root = root, packs = packs
        let now = now()
        try await DiskIO.run {
            packs.removeAll()
            for kind in CacheKey.Kind.allCases {
                let folder = root + "/" + kind.rawValue
                for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                    let path = folder + "/" + name
                    switch ItemFileName(name) {
                    case .item: if CacheCleanup.claimsOurMagic(path) { unlink(path) }
                    case .temporary(let pid): if CacheCleanup.isAbandoned(temporary: path, pid: pid, now: now) { unlink(path) }
                    case .foreign: continue
                    }
                }
            }
        }
        index.locked { $0 = CacheIndex() }
    }

    /// Reads every block and checks it; corrupt ones are dropped (they will be fetched again). A block that cannot
    /// be read (EACCES, EIO…) is counted apart and the check goes on.
    public func verifyAll() async -> (checked: Int, corrupt: Int, unreadable: Int) {
        let blocks: [(CacheKey, Int)] = index.locked { state in
            state.entries.flatMap { key, entry in entry.blocks.indices.map { (key, $0) } }
        }
        var corrupt = 0
        var unreadable = 0
        for (key, block) in blocks {
            do {
                if try await self.block(key, block) == nil { corrupt += 1 }
            } catch {
                unreadable += 1
            }
        }
        return (blocks.count, corrupt, unreadable)
    }
}
