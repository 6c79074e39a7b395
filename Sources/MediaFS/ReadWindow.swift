/// How far ahead an item's transfers reach where the origin honours Range (as mountpoint-s3's backpressure
/// controller): a window of blocks that doubles while reads are sequential, back to its start size on a jump.
struct ReadWindow: Sendable, Equatable {
    let initial: Int64
    let maximum: Int64
    let blockSize: Int
    /// The window's size, in bytes.
    private(set) var size: Int64
    /// The first block past the last window asked for: a read of it is sequential.
    var expectedNext = 0

    init(initial: Int64, maximum: Int64, blockSize: Int) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.blockSize = blockSize
        size = initial
    }

    private var blocks: Int { max(1, Int(size / Int64(blockSize))) }

    /// The blocks a transfer starting at `block` should claim: up to a window, never past the item's
    /// `blockCount`, stopping before the first block that is already present.
    mutating func plan(from block: Int, blockCount: Int, present: (Int) -> Bool) -> Range<Int> {
        size = block == expectedNext ? min(size * 2, maximum) : initial
        let limit = min(blockCount, block + blocks)
        var end = block + 1
        while end < limit, !present(end) { end += 1 }
        expectedNext = end
        return block..<end
    }

    /// After a read of `block`: the block the next window should start from, when a sequential reader is
    /// half-way through the current one and the next is not there yet.
    func readAhead(after block: Int, blockCount: Int, present: (Int) -> Bool) -> Int? {
        guard block + 1 < blockCount, expectedNext < blockCount else { return nil }
        let half = max(1, blocks / 2)
        guard block + half >= expectedNext, block < expectedNext, !present(expectedNext) else { return nil }
        return expectedNext
    }
}
