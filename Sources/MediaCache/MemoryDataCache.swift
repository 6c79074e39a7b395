import Locking
import Synchronization

/// A `DataCache` in memory: the core's tests run on it (no disk), and it is the shape of any tier that keeps
/// whole blocks. No budget: what is stored stays until the cache is dropped. Counts its calls, so a test can
/// tell which tier answered.
public final class MemoryDataCache: DataCache {
    public let blockSize: Int
    private struct State {
        var blocks: [CacheKey: [Int: CheckedBlock]] = [:]
        var items: [CacheKey: CachedItem] = [:]
        var pins: [CacheKey: Int] = [:]
        var reads = 0
        var stores = 0
        var finishes = 0
    }
    private let state = Mutex(State())

    public init(blockSize: Int) { self.blockSize = blockSize }

    /// Block reads answered and block stores made so far.
    public var calls: (reads: Int, stores: Int) { state.locked { ($0.reads, $0.stores) } }
    /// How many times it was asked to finish its writes (a stop).
    public var finishes: Int { state.locked { $0.finishes } }
    public func finishWrites() async { state.locked { $0.finishes += 1 } }

    public func bytes(_ key: CacheKey, _ block: Int, range: Range<Int>) async throws -> [UInt8]? {
        try await self.block(key, block).flatMap { $0.holds(range) ? $0[range] : nil }
    }

    public func block(_ key: CacheKey, _ block: Int) async throws -> CheckedBlock? {
        state.locked { state in
            let found = state.blocks[key]?[block]
            if found != nil { state.reads += 1 }
            return found
        }
    }

    public func store(_ key: CacheKey, _ block: Int, _ data: CheckedBlock) async throws {
        state.locked { state in
            state.blocks[key, default: [:]][block] = data
            state.stores += 1
        }
    }

    public func mayHold(_ key: CacheKey, _ block: Int) -> Bool { state.locked { $0.blocks[key]?[block] != nil } }

    public func item(_ key: CacheKey) -> CachedItem? { state.locked { $0.items[key] } }

    public func storeItem(_ item: CachedItem, for key: CacheKey) async throws { state.locked { $0.items[key] = item } }

    public func summaries(_ kind: CacheKey.Kind?) -> [ItemSummary] {
        state.locked { state in
            state.items.compactMap { key, item in
                guard kind == nil || key.kind == kind else { return nil }
                let held = state.blocks[key]?.count ?? 0
                return ItemSummary(key: key, fileExtension: item.fileExtension, fetchedAt: item.fetchedAt, goneAt: item.goneAt,
                                   isComplete: held == item.blockCount())
            }
        }
    }

    public func pin(_ key: CacheKey) { state.locked { $0.pins[key, default: 0] += 1 } }
    public func unpin(_ key: CacheKey) { state.locked { $0.pins[key] = max(0, ($0.pins[key] ?? 0) - 1) } }

    public func statistics() -> CacheStatistics {
        state.locked { state in
            let blocks = state.blocks.values.flatMap(\.values)
            return CacheStatistics(bytes: blocks.reduce(0) { $0 + Int64($1.bytes.count) }, budget: Int64.max, items: state.items.count,
                                   blocks: blocks.count, evictedBlocks: 0, corruptBlocks: 0)
        }
    }
}
