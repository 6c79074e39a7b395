/// A hash index from keys to slots of arrays its owner keeps (open addressing, linear probing, deletion by
/// backward shift): 4 bytes a bucket, where a `Dictionary` would store each key and value in every bucket.
/// At tens of thousands of ids this is what keeps the long-lived tables small (docs/benchmarks.md, memory).
/// The owner answers for its keys: `matches(slot)` compares the key looked for with the one in `slot`, and
/// `hashOf(slot)` hashes the key in `slot` (needed when buckets move).
public struct SlotIndex: Sendable {
    /// 0: empty; otherwise slot + 1.
    private var buckets: [UInt32] = []
    public private(set) var count = 0

    public init() {}

    public func find(hash: Int, matches: (Int) -> Bool) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var position = hash & mask
        while buckets[position] != 0 {
            let slot = Int(buckets[position] - 1)
            if matches(slot) { return slot }
            position = (position + 1) & mask
        }
        return nil
    }

    /// Records `slot` (whose key is not in the index yet) under `hash`.
    public mutating func insert(_ slot: Int, hash: Int, hashOf: (Int) -> Int) {
        precondition(slot >= 0 && slot < Int(UInt32.max), "slot out of range")
        if (count + 1) * 4 > buckets.count * 3 { grow(hashOf: hashOf) }
        place(slot, hash: hash)
        count += 1
    }

    /// Forgets `slot`, which is in the index under `hash`.
    public mutating func remove(_ slot: Int, hash: Int, hashOf: (Int) -> Int) {
        guard var hole = position(of: slot, hash: hash) else { return }
        let mask = buckets.count - 1
        buckets[hole] = 0
        count -= 1
        var next = hole
        while true {
            next = (next + 1) & mask
            guard buckets[next] != 0 else { return }
            let home = hashOf(Int(buckets[next] - 1)) & mask
            // Stays if its home lies cyclically in (hole, next]; otherwise it moves back into the hole.
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                buckets[hole] = buckets[next]
                buckets[next] = 0
                hole = next
            }
        }
    }

    /// The key under `hash` moved from slot `old` to slot `new` in the owner's arrays.
    public mutating func move(from old: Int, to new: Int, hash: Int) {
        guard let position = position(of: old, hash: hash) else { return }
        buckets[position] = UInt32(new + 1)
    }

    private func position(of slot: Int, hash: Int) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var position = hash & mask
        while buckets[position] != 0 {
            if Int(buckets[position] - 1) == slot { return position }
            position = (position + 1) & mask
        }
        return nil
    }

    private mutating func place(_ slot: Int, hash: Int) {
        let mask = buckets.count - 1
        var position = hash & mask
        while buckets[position] != 0 { position = (position + 1) & mask }
        buckets[position] = UInt32(slot + 1)
    }

    private mutating func grow(hashOf: (Int) -> Int) {
        let old = buckets
        buckets = Array(repeating: 0, count: max(16, old.count * 2))
        for bucket in old where bucket != 0 { place(Int(bucket - 1), hash: hashOf(Int(bucket - 1))) }
    }
}
