/// Where the filesystem keeps the blocks and metas of items (the seam under MediaFS): the local disk
/// (`DiskDataCache`), memory (`MemoryDataCache`, for core tests), or tiers of them (`MultilevelDataCache`).
/// A tier knows nothing of WeChat: which items may be listed, what "gone" means, how old an item may be are
/// MediaFS's rules (MediaLife.swift).
public protocol DataCache: Sendable {
    var blockSize: Int { get }

    /// `range` (offsets inside the block) of a block, or nil when it is not held here (a miss). Throws when it
    /// is held but cannot be read now (that read fails; the next one is not doomed).
    func bytes(_ key: CacheKey, _ block: Int, range: Range<Int>) async throws -> [UInt8]?
    /// A whole block with its checksum (to fill another tier without computing it again), or nil.
    func block(_ key: CacheKey, _ block: Int) async throws -> CheckedBlock?
    /// Keeps a block; throws `CacheIOError` (ENOSPC…) leaving nothing behind.
    func store(_ key: CacheKey, _ block: Int, _ data: CheckedBlock) async throws
    /// Whether the block is held, answered from memory with no I/O: a hint for planning transfers (a slower tier
    /// may hold blocks it does not mention). `bytes` decides.
    func mayHold(_ key: CacheKey, _ block: Int) -> Bool

    /// Every block of the item is held here, from memory (a read of it needs no transfer); false when unsure.
    func holdsWhole(_ key: CacheKey) -> Bool
    /// `bytes`, blocking the calling thread (a thread made for disk work, never the cooperative pool); nil where
    /// `bytes` would be nil, or when this tier cannot answer without waiting on something else.
    func bytesBlocking(_ key: CacheKey, _ block: Int, range: Range<Int>) throws -> [UInt8]?

    /// What is known of an item, from memory.
    func item(_ key: CacheKey) -> CachedItem?
    /// What is known of an item, from wherever it is held (a slower tier is asked, and a faster one filled).
    func loadItem(_ key: CacheKey) async throws -> CachedItem?
    func storeItem(_ item: CachedItem, for key: CacheKey) async throws

    /// Every item this cache knows (of `kind`, or all), as summaries: listing rules are applied by the caller.
    func summaries(_ kind: CacheKey.Kind?) async -> [ItemSummary]
    /// An open reader pins its item: eviction never takes its blocks.
    func pin(_ key: CacheKey)
    func unpin(_ key: CacheKey)
    func statistics() -> CacheStatistics

    /// Asked before the filesystem calls WeChat for an item no tier holds: a tier shared by several hosts may make
    /// the caller wait while another host fetches it (`.landed`: read it from the cache now), or let it go
    /// (`.proceed`). Bounded: a tier never holds a reader longer than its own limit. Default: `.proceed`.
    func claimFetch(_ key: CacheKey) async -> FetchClaim
    /// The fetch `claimFetch` let go on ended without the item (WeChat refused the id, the transfer failed): others
    /// need not wait for it.
    func releaseClaim(_ key: CacheKey) async
    /// A shared tier's counters (nil: there is none).
    func sharedStatistics() -> SharedTierStatistics?
    /// A stop: writes under way to a slower tier (a shared store) are finished, and those that cannot be (an item
    /// whose blocks are not all in) let go. Default: nothing to finish.
    func finishWrites() async
}

/// Whether to call WeChat for an item (`DataCache.claimFetch`).
public enum FetchClaim: Sendable, Equatable {
    /// Call it: nobody else is (this host now holds the fleet's lease, if there is a fleet).
    case proceed
    /// Another host fetched it meanwhile: the cache has it.
    case landed
}

extension DataCache {
    public func loadItem(_ key: CacheKey) async throws -> CachedItem? { item(key) }
    public func holdsWhole(_ key: CacheKey) -> Bool { false }
    public func bytesBlocking(_ key: CacheKey, _ block: Int, range: Range<Int>) throws -> [UInt8]? { nil }
    public func claimFetch(_ key: CacheKey) async -> FetchClaim { .proceed }
    public func releaseClaim(_ key: CacheKey) async {}
    public func sharedStatistics() -> SharedTierStatistics? { nil }
    public func finishWrites() async {}
}

/// A block's bytes with their CRC-32C, computed once where the bytes were made whole or checked.
public struct CheckedBlock: Sendable, Equatable {
    public let bytes: [UInt8]
    public let checksum: UInt32

    /// Bytes just received: their checksum is computed here.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        checksum = bytes.withUnsafeBytes { CRC32C.checksum($0) }
    }

    /// Bytes read back with the checksum they were checked against.
    public init(bytes: [UInt8], checksum: UInt32) {
        self.bytes = bytes
        self.checksum = checksum
    }

    public func holds(_ range: Range<Int>) -> Bool { range.upperBound <= bytes.count }

    public subscript(range: Range<Int>) -> [UInt8] { range == 0..<bytes.count ? bytes : Array(bytes[range]) }
}

/// An item as a listing sees it: enough to name it and to apply the listing rules, without a `CachedItem`.
public struct ItemSummary: Sendable, Equatable {
    public let key: CacheKey
    public let fileExtension: String
    public let fetchedAt: Double
    public let goneAt: Double?
    /// Every block is held: the item reads whole with no call.
    public let isComplete: Bool

    public init(key: CacheKey, fileExtension: String, fetchedAt: Double, goneAt: Double?, isComplete: Bool) {
        self.key = key
        self.fileExtension = fileExtension
        self.fetchedAt = fetchedAt
        self.goneAt = goneAt
        self.isComplete = isComplete
    }
}
