/// The blocks of one cached item in memory: index → data length, and whether the block was verified in this
/// process. Most items are one block (images, voice, thumbs): that one is kept inline, with no allocation; the
/// others go in a dictionary whose value carries the verified flag in a high bit (one dictionary, not two).
/// Memory per cached item is what bounds the index (docs/benchmarks.md).
struct BlockMap {
    private static let verifiedBit = 1 << 40
    private var first: (index: Int, value: Int)?
    private var rest: [Int: Int] = [:]

    var count: Int { (first == nil ? 0 : 1) + rest.count }
    var isEmpty: Bool { first == nil }
    var indices: [Int] { (first.map { [$0.index] } ?? []) + rest.keys }

    /// The data length of block `index`, if it is here.
    subscript(index: Int) -> Int? {
        value(index).map { $0 & ~Self.verifiedBit }
    }

    func isVerified(_ index: Int) -> Bool {
        value(index).map { $0 & Self.verifiedBit != 0 } ?? false
    }

    mutating func set(_ index: Int, length: Int, verified: Bool) {
        let value = length | (verified ? Self.verifiedBit : 0)
        if first == nil || first?.index == index {
            first = (index, value)
        } else {
            rest[index] = value
        }
    }

    mutating func markVerified(_ index: Int, _ verified: Bool) {
        guard let length = self[index] else { return }
        set(index, length: length, verified: verified)
    }

    /// Removes block `index`; returns its length if it was here.
    @discardableResult
    mutating func remove(_ index: Int) -> Int? {
        if let first, first.index == index {
            self.first = rest.popFirst().map { ($0.key, $0.value) }
            return first.value & ~Self.verifiedBit
        }
        return rest.removeValue(forKey: index).map { $0 & ~Self.verifiedBit }
    }

    private func value(_ index: Int) -> Int? {
        if let first, first.index == index { return first.value }
        return rest[index]
    }
}
