import Foundation
import Logging
import Synchronization

/// The persistent block cache (see MediaCache.swift for the format). Thread-safe; async methods do their
/// disk I/O on `DiskIO` threads.
public final class BlockCache: Sendable {
    public let directory: String
    public let blockSize: Int
    public let budget: Int64
    let root: String
    let index: Mutex<CacheIndex>
    let logger: Logger

    public init(directory: String, budget: Int64, blockSize: Int = 1 << 20, logger: Logger) throws {
        self.directory = directory
        self.budget = budget
        self.blockSize = blockSize
        self.logger = logger
        root = directory + "/v1"
        try CacheFiles.makeDirectory(directory)
        try CacheFiles.makeDirectory(root)
        for kind in CacheKey.Kind.allCases { try CacheFiles.makeDirectory(root + "/" + kind.rawValue) }
        index = Mutex(CacheScanner.scan(root: root, blockSize: blockSize, logger: logger))
    }

    func itemDirectory(_ key: CacheKey) -> String { "\(root)/\(key.kind.rawValue)/\(key.id)" }
    func blockPath(_ key: CacheKey, _ block: Int) -> String { "\(itemDirectory(key))/\(block).blk" }

    // MARK: memory-only questions

    public func item(_ key: CacheKey) -> CachedItem? { index.withLock { $0.entries[key]?.item } }

    public func hasBlock(_ key: CacheKey, _ block: Int) -> Bool { index.withLock { $0.entries[key]?.blocks[block] != nil } }

    public func knownItems() -> [CacheKey: CachedItem] {
        index.withLock { state in state.entries.compactMapValues(\.item) }
    }

    public func statistics() -> CacheStatistics {
        index.withLock { state in
            CacheStatistics(
                bytes: state.totalBytes, budget: budget, items: state.entries.values.filter { $0.item != nil }.count,
                blocks: state.entries.values.reduce(0) { $0 + $1.blocks.count },
                evictedBlocks: state.evictedBlocks, corruptBlocks: state.corruptBlocks
            )
        }
    }

    /// An open reader pins its item: eviction never takes its blocks.
    public func pin(_ key: CacheKey) { index.withLock { $0.entries[key, default: .init()].pins += 1 } }
    public func unpin(_ key: CacheKey) {
        index.withLock { state in
            let pins = state.entries[key]?.pins ?? 0
            state.entries[key]?.pins = max(0, pins - 1)
        }
    }

    // MARK: disk

    public func storeItem(_ item: CachedItem, for key: CacheKey) async throws {
        let data = try JSONEncoder().encode(item)
        let directory = itemDirectory(key)
        try await DiskIO.run {
            try CacheFiles.makeDirectory(directory)
            try CacheFiles.writeAtomically(directory + "/meta", [[UInt8](data)])
        }
        index.withLock { state in
            state.entries[key, default: .init()].item = item
            state.touch(key)
        }
    }

    /// `range` of block `block` (offsets inside the block), or nil when the block is absent or corrupt.
    public func read(_ key: CacheKey, block: Int, range: Range<Int>) async throws -> [UInt8]? {
        let known: (length: Int, verified: Bool)? = index.withLock { state in
            guard let length = state.entries[key]?.blocks[block] else { return nil }
            state.touch(key)
            return (length, state.entries[key]?.verified.contains(block) ?? false)
        }
        guard let known else { return nil }
        guard range.upperBound <= known.length else {
            forget(key, block, corrupt: true)  // shorter than its item says: useless, and must not loop
            return nil
        }
        let path = blockPath(key, block)
        if known.verified {
            if let slice = try await DiskIO.run({ try CacheFiles.readSlice(path, offset: BlockFormat.headerSize + range.lowerBound, count: range.count) }),
               slice.count == range.count {
                return slice
            }
            forget(key, block, corrupt: true)
            return nil
        }
        let verified = try await DiskIO.run { try CacheFiles.readVerifiedBlock(path, index: block) }
        guard let verified, verified.count == known.length else {
            logger.warning("cache block failed its check and was dropped", metadata: ["item": "\(key)", "block": "\(block)"])
            forget(key, block, corrupt: true)
            return nil
        }
        index.withLock { _ = $0.entries[key]?.verified.insert(block) }
        return Array(verified[range])
    }

    /// Writes a block atomically, then evicts to the budget. Throws `CacheIOError` (ENOSPC…) leaving nothing behind.
    public func store(_ key: CacheKey, block: Int, data: [UInt8]) async throws {
        let path = blockPath(key, block)
        let directory = itemDirectory(key)
        try await DiskIO.run {
            try CacheFiles.makeDirectory(directory)
            let header = data.withUnsafeBytes { BlockFormat.header(index: block, data: $0) }
            try CacheFiles.writeAtomically(path, [header, data])
        }
        let victims = index.withLock { state in
            state.addBlock(key, index: block, length: data.count, verified: true)
            state.touch(key)
            return state.evict(toFit: budget)
        }
        if !victims.isEmpty {
            let paths = victims.map { blockPath($0.0, $0.1) }
            try? await DiskIO.run { for path in paths { unlink(path) } }
        }
    }

    /// Removes everything cached.
    public func clear() async throws {
        let root = root
        try await DiskIO.run {
            for kind in CacheKey.Kind.allCases {
                let folder = root + "/" + kind.rawValue
                for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                    try FileManager.default.removeItem(atPath: folder + "/" + name)
                }
            }
        }
        index.withLock { $0 = CacheIndex() }
    }

    private func forget(_ key: CacheKey, _ block: Int, corrupt: Bool) {
        index.withLock { state in
            state.removeBlock(key, index: block)
            if corrupt { state.corruptBlocks += 1 }
        }
        unlink(blockPath(key, block))
    }
}

public struct CacheStatistics: Sendable, Codable, Equatable {
    public var bytes: Int64
    public var budget: Int64
    public var items: Int
    public var blocks: Int
    public var evictedBlocks: Int
    public var corruptBlocks: Int
}

extension BlockCache {
    /// Reads every block and checks it; corrupt ones are dropped (they will be fetched again).
    /// Returns how many blocks were checked and how many failed.
    public func verifyAll() async throws -> (checked: Int, corrupt: Int) {
        let blocks: [(CacheKey, Int)] = index.withLock { state in
            state.entries.flatMap { key, entry in entry.blocks.keys.map { (key, $0) } }
        }
        var corrupt = 0
        for (key, block) in blocks {
            index.withLock { _ = $0.entries[key]?.verified.remove(block) }
            let length = index.withLock { $0.entries[key]?.blocks[block] } ?? 0
            if try await read(key, block: block, range: 0..<min(length, 1)) == nil { corrupt += 1 }
        }
        return (blocks.count, corrupt)
    }
}
