/// The in-memory picture of the cache (guarded by `DiskDataCache.index`'s mutex): items, their blocks,
/// recency for LRU, pins of open readers, and the running byte total.
struct CacheIndex {
    /// Packed entries (CacheIndexEntry.swift); read an item with `item(_:)`, record one with `store(_:key:)`.
    var entries = KeyedTable<Entry>()
    /// The rare parts of some entries (`Entry.Flags.hasExtra`).
    var extras: [CacheKey: Extra] = [:]
    /// Content types and extensions, each stored once.
    var strings = StringInterner()
    var totalBytes: Int64 = 0
    var tick: UInt64 = 0
    var evictedBlocks = 0
    var corruptBlocks = 0

    mutating func touch(_ key: CacheKey) {
        tick += 1
        entries.update(key, default: Entry()) { $0.lastUse = tick }
    }

    mutating func addBlock(_ key: CacheKey, index: Int, length: Int, verified: Bool) {
        if let old = entries[key]?.blocks[index] { totalBytes -= Int64(old) }
        entries.update(key, default: Entry()) { $0.blocks.set(index, length: length, verified: verified) }
        totalBytes += Int64(length)
    }

    mutating func removeBlock(_ key: CacheKey, index: Int) {
        guard let length = entries.modify(key, { $0.blocks.remove(index) }) ?? nil else { return }
        totalBytes -= Int64(length)
    }

    /// The least recently used unpinned items with blocks, whole, until the cache fits `budget`; their blocks are
    /// dropped here (the caller rewrites their files without them). One pass over the index orders the candidates.
    mutating func evict(toFit budget: Int64) -> [CacheKey] {
        guard totalBytes > budget else { return [] }
        let candidates = entries.compactMap { key, entry in entry.pins == 0 && !entry.blocks.isEmpty ? (key, entry.lastUse) : nil }
            .sorted { $0.1 < $1.1 }
        var victims: [CacheKey] = []
        for (key, _) in candidates where totalBytes > budget {
            guard let entry = entries[key] else { continue }
            for index in entry.blocks.indices { removeBlock(key, index: index) }
            evictedBlocks += entry.blocks.count
            victims.append(key)
        }
        return victims
    }

    /// Takes in what a file holds when it is not the file the index knew (another nonce): its blocks replace the
    /// known ones, unchecked, and the item is no longer taken for a pack record. Nothing changes when `nonce` is the
    /// known one.
    mutating func sync(_ key: CacheKey, nonce: UInt64, blocks: [(index: Int, length: Int)]) {
        guard entries[key]?.nonce != nonce else { return }
        for index in entries[key]?.blocks.indices ?? [] { removeBlock(key, index: index) }
        entries.update(key, default: Entry()) { entry in
            entry.nonce = nonce
            entry.flags.subtract(.storage)  // a file's nonce, or none: not a pack record (a scan marks those after)
        }
        for block in blocks { addBlock(key, index: block.index, length: block.length, verified: false) }
    }

    /// Drops the entries of items that have no block left (and are not empty: those are whole), are not open, and
    /// are older than `life`: the server has deleted them, so nothing can be read or fetched; returns them (with
    /// their pack record, if packed) so what is left of them on disk (the meta) goes too.
    mutating func expire(now: Double, life: Double) -> [(key: CacheKey, record: PackLocation?)] {
        let expired = entries.compactMap { key, entry -> (key: CacheKey, record: PackLocation?)? in
            guard entry.pins == 0 && entry.blocks.isEmpty && !entry.isComplete && entry.hasItem && now - entry.fetchedAt >= life else { return nil }
            return (key, entry.flags.contains(.packed) ? PackLocation(encoded: entry.nonce) : nil)
        }
        for (key, _) in expired {
            entries.removeValue(forKey: key)
            extras.removeValue(forKey: key)
        }
        return expired
    }
}
