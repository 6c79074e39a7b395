/// The blocks of one cached item in memory: index → data length, and whether the block was verified in this
/// process. Most items are one block (images, voice, thumbs): that one is kept inline in 8 bytes, with no
/// allocation; the others go in a dictionary whose value carries the verified flag in a high bit.
/// Memory per cached item is what bounds the index (docs/benchmarks.md).
struct BlockMap {
    private static let verifiedBit: UInt32 = 1 << 31
    private static let restVerifiedBit = 1 << 40
    /// The inline block: its index (-1: none) and its length with the verified bit.
    private var firstIndex: Int32 = -1
    private var firstValue: UInt32 = 0
    private var rest: [Int: Int] = [:]

    var count: Int { (firstIndex < 0 ? 0 : 1) + rest.count }
    var isEmpty: Bool { firstIndex < 0 && rest.isEmpty }
    var indices: [Int] { (firstIndex < 0 ? [] : [Int(firstIndex)]) + rest.keys }

    /// The data length of block `index`, if it is here.
    subscript(index: Int) -> Int? { entry(index)?.length }

    func isVerified(_ index: Int) -> Bool { entry(index)?.verified ?? false }

    mutating func set(_ index: Int, length: Int, verified: Bool) {
        precondition(index >= 0 && length >= 0 && length < Int(Self.verifiedBit), "block out of range")
        if index <= Int(Int32.max), firstIndex < 0 || Int(firstIndex) == index {
            firstIndex = Int32(index)
            firstValue = UInt32(length) | (verified ? Self.verifiedBit : 0)
        } else {
            rest[index] = length | (verified ? Self.restVerifiedBit : 0)
        }
    }

    mutating func markVerified(_ index: Int, _ verified: Bool) {
        guard let length = self[index] else { return }
        set(index, length: length, verified: verified)
    }

    /// Removes block `index`; returns its length if it was here.
    @discardableResult
    mutating func remove(_ index: Int) -> Int? {
        if firstIndex >= 0, Int(firstIndex) == index {
            let length = Int(firstValue & ~Self.verifiedBit)
            firstIndex = -1
            if let (next, value) = rest.popFirst() {
                set(next, length: value & ~Self.restVerifiedBit, verified: value & Self.restVerifiedBit != 0)
            }
            return length
        }
        return rest.removeValue(forKey: index).map { $0 & ~Self.restVerifiedBit }
    }

    private func entry(_ index: Int) -> (length: Int, verified: Bool)? {
        if firstIndex >= 0, Int(firstIndex) == index {
            return (Int(firstValue & ~Self.verifiedBit), firstValue & Self.verifiedBit != 0)
        }
        return rest[index].map { ($0 & ~Self.restVerifiedBit, $0 & Self.restVerifiedBit != 0) }
    }
}
