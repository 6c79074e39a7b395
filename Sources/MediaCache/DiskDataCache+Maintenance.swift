import Locking
import Foundation

public struct CacheStatistics: Sendable, Codable, Equatable {
    public var bytes: Int64
    public var budget: Int64
    public var items: Int
    public var blocks: Int
    public var evictedBlocks: Int
    public var corruptBlocks: Int
}

extension DiskDataCache {
    /// Removes everything cached (owner only: a guest would delete the owner's live work). Only what the cache
    /// wrote is removed; foreign entries and a live writer's temporaries stay.
    public func clear() async throws {
        guard isOwner else { throw CacheIOError(errno: EBUSY, operation: "clear \(directory) (another process owns it)") }
        let root = root
        let now = now()
        try await DiskIO.run {
            for kind in CacheKey.Kind.allCases {
                let folder = root + "/" + kind.rawValue
                for name in try FileManager.default.contentsOfDirectory(atPath: folder) where CacheKey.isMediaID(name) {
                    let path = folder + "/" + name
                    if FileStatus(path)?.isDirectory == true { CacheCleanup.removeItemFolder(path, now: now) }
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
            index.locked { $0.entries.modify(key) { $0.blocks.markVerified(block, false) } }
            let length = index.locked { $0.entries[key]?.blocks[block] } ?? 0
            do {
                if try await read(key, block: block, range: 0..<min(length, 1)) == nil { corrupt += 1 }
            } catch {
                unreadable += 1
            }
        }
        return (blocks.count, corrupt, unreadable)
    }
}
