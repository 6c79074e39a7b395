/// Values by cache key in two dense arrays and a `SlotIndex`: about 28 bytes of overhead an entry where a
/// `Dictionary` spends its key and value size in each of ~2.6 buckets an entry. Removal moves the last entry
/// into the hole. Iteration order is unspecified.
struct KeyedTable<Value>: Sequence {
    private(set) var keys: [CacheKey] = []
    private(set) var values: [Value] = []
    private var index = SlotIndex()

    var count: Int { keys.count }

    private func slot(_ key: CacheKey) -> Int? {
        index.find(hash: key.hashValue) { keys[$0] == key }
    }

    subscript(key: CacheKey) -> Value? { slot(key).map { values[$0] } }

    /// Runs `body` on the value of `key` in place (no copy); nil when `key` is absent.
    @discardableResult
    mutating func modify<R>(_ key: CacheKey, _ body: (inout Value) -> R) -> R? {
        guard let slot = slot(key) else { return nil }
        return body(&values[slot])
    }

    /// Runs `body` on the value of `key` in place, made from `make` first if absent.
    @discardableResult
    mutating func update<R>(_ key: CacheKey, default make: @autoclosure () -> Value, _ body: (inout Value) -> R) -> R {
        let slot: Int
        if let found = self.slot(key) {
            slot = found
        } else {
            slot = keys.count
            keys.append(key)
            values.append(make())
            index.insert(slot, hash: key.hashValue) { keys[$0].hashValue }
        }
        return body(&values[slot])
    }

    @discardableResult
    mutating func removeValue(forKey key: CacheKey) -> Value? {
        guard let slot = slot(key) else { return nil }
        index.remove(slot, hash: key.hashValue) { keys[$0].hashValue }
        let last = keys.count - 1
        if slot != last {
            index.move(from: last, to: slot, hash: keys[last].hashValue)
            keys.swapAt(slot, last)
            values.swapAt(slot, last)
        }
        keys.removeLast()
        return values.removeLast()
    }

    func makeIterator() -> some IteratorProtocol<(key: CacheKey, value: Value)> {
        zip(keys, values).lazy.map { (key: $0, value: $1) }.makeIterator()
    }
}
