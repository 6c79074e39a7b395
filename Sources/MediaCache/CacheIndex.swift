/// The in-memory picture of the cache (guarded by `BlockCache.index`'s mutex): items, their blocks,
/// recency for LRU, pins of open readers, and the running byte total.
struct CacheIndex {
    struct Entry {
        var item: CachedItem?
        /// Block index → data length; `verified` holds those checked in this process.
        var blocks: [Int: Int] = [:]
        var verified: Set<Int> = []
        var lastUse: UInt64 = 0
        var pins = 0

        /// Every block of the item is here: readable whole, whatever the server has done since.
        var isComplete: Bool {
            guard let item else { return false }
            let count = item.blockCount()
            return blocks.count >= count && (0..<count).allSatisfy { blocks[$0] != nil }
        }
    }

    var entries: [CacheKey: Entry] = [:]
    var totalBytes: Int64 = 0
    var tick: UInt64 = 0
    var evictedBlocks = 0
    var corruptBlocks = 0

    mutating func touch(_ key: CacheKey) {
        tick += 1
        entries[key, default: Entry()].lastUse = tick
    }

    mutating func addBlock(_ key: CacheKey, index: Int, length: Int, verified: Bool) {
        if let old = entries[key]?.blocks[index] { totalBytes -= Int64(old) }
        entries[key, default: Entry()].blocks[index] = length
        if verified { entries[key]?.verified.insert(index) }
        totalBytes += Int64(length)
    }

    mutating func removeBlock(_ key: CacheKey, index: Int) {
        guard let length = entries[key]?.blocks.removeValue(forKey: index) else { return }
        entries[key]?.verified.remove(index)
        totalBytes -= Int64(length)
    }

    /// The blocks to delete to get under `budget`, least recently used unpinned items first, and drops them.
    mutating func evict(toFit budget: Int64) -> [(CacheKey, Int)] {
        var victims: [(CacheKey, Int)] = []
        while totalBytes > budget {
            let candidates = entries.filter { $0.value.pins == 0 && !$0.value.blocks.isEmpty }
            guard let (key, entry) = candidates.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
            for index in entry.blocks.keys.sorted(by: >) {
                victims.append((key, index))
                removeBlock(key, index: index)
                evictedBlocks += 1
                if totalBytes <= budget { break }
            }
        }
        return victims
    }

    /// Drops the entries of items that have no block left (and are not empty: those are whole), are not open, and are older than `life`: the server
    /// has deleted them, so nothing can be read or fetched; returns them so their folders (meta) go too.
    mutating func expire(now: Double, life: Double) -> [CacheKey] {
        let expired = entries.compactMap { key, entry in
            entry.pins == 0 && entry.blocks.isEmpty && !entry.isComplete && entry.item?.isExpired(now: now, life: life) == true ? key : nil
        }
        for key in expired { entries.removeValue(forKey: key) }
        return expired
    }
}
