/// Two tiers as one `DataCache`: the first (the local disk) is asked first; on its miss the second (a shared
/// archive), and what the second had is written back into the first (back-fill), checksum and all. New blocks
/// and metas go to both. What the filesystem sees of the index (listing, pins, statistics) is the first tier's.
public final class MultilevelDataCache: DataCache {
    public let first: any DataCache
    public let second: any DataCache

    public init(first: any DataCache, second: any DataCache) {
        precondition(first.blockSize == second.blockSize, "tiers must share one block size")
        self.first = first
        self.second = second
    }

    public var blockSize: Int { first.blockSize }

    public func bytes(_ key: CacheKey, _ block: Int, range: Range<Int>) async throws -> [UInt8]? {
        if let bytes = try await first.bytes(key, block, range: range) { return bytes }
        guard let whole = try await fill(key, block), whole.holds(range) else { return nil }
        return whole[range]
    }

    public func block(_ key: CacheKey, _ block: Int) async throws -> CheckedBlock? {
        if let found = try await first.block(key, block) { return found }
        return try await fill(key, block)
    }

    /// The second tier's block, written into the first (a failing first tier does not fail the read).
    private func fill(_ key: CacheKey, _ block: Int) async throws -> CheckedBlock? {
        guard let found = try await second.block(key, block) else { return nil }
        try? await first.store(key, block, found)
        return found
    }

    public func store(_ key: CacheKey, _ block: Int, _ data: CheckedBlock) async throws {
        try await first.store(key, block, data)
        try await second.store(key, block, data)
    }

    public func mayHold(_ key: CacheKey, _ block: Int) -> Bool { first.mayHold(key, block) }
    /// Whole in the first tier: read from it alone, without waiting on the second.
    public func holdsWhole(_ key: CacheKey) -> Bool { first.holdsWhole(key) }
    public func bytesBlocking(_ key: CacheKey, _ block: Int, range: Range<Int>) throws -> [UInt8]? {
        try first.bytesBlocking(key, block, range: range)
    }

    public func item(_ key: CacheKey) -> CachedItem? { first.item(key) }

    public func loadItem(_ key: CacheKey) async throws -> CachedItem? {
        if let known = try await first.loadItem(key) { return known }
        guard let found = try await second.loadItem(key) else { return nil }
        try? await first.storeItem(found, for: key)
        return found
    }

    public func storeItem(_ item: CachedItem, for key: CacheKey) async throws {
        try await first.storeItem(item, for: key)
        try await second.storeItem(item, for: key)
    }

    /// The first tier's items, and the second's it does not hold (a shared store lists what the fleet holds).
    public func summaries(_ kind: CacheKey.Kind?) async -> [ItemSummary] {
        let local = await first.summaries(kind)
        let known = Set(local.map(\.key))
        return local + (await second.summaries(kind)).filter { !known.contains($0.key) }
    }
    /// The second tier's (the shared one decides who fetches); the first is this host's alone.
    public func claimFetch(_ key: CacheKey) async -> FetchClaim { await second.claimFetch(key) }
    public func releaseClaim(_ key: CacheKey) async { await second.releaseClaim(key) }
    public func sharedStatistics() -> SharedTierStatistics? { second.sharedStatistics() }
    public func finishWrites() async {
        await first.finishWrites()
        await second.finishWrites()
    }
    public func pin(_ key: CacheKey) { first.pin(key) }
    public func unpin(_ key: CacheKey) { first.unpin(key) }
    public func statistics() -> CacheStatistics { first.statistics() }
}
