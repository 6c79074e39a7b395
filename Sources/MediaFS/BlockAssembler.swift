import WeChatAPI

/// Cuts a download into blocks and hands each to its item as soon as it is whole.
/// Used by one download task at a time, in order (so `@unchecked Sendable` holds).
final class BlockAssembler: MediaSink, @unchecked Sendable {
    private let item: MediaItem
    private let transfer: Int
    let blockSize: Int
    private let firstBlock: Int
    private let probeEnd: Int?
    private var block: Int
    private var buffer: [UInt8] = []
    private(set) var delivered: Int64 = 0
    private var begun = false

    init(item: MediaItem, transfer: Int, firstBlock: Int, blockSize: Int, probeEnd: Int?) {
        self.item = item
        self.transfer = transfer
        self.firstBlock = firstBlock
        self.block = firstBlock
        self.blockSize = blockSize
        self.probeEnd = probeEnd
        buffer.reserveCapacity(blockSize)
    }

    func begin(_ head: MediaHead) async throws {
        guard !begun else { return }
        begun = true
        guard await item.headArrived(head, transfer: transfer, probeEnd: probeEnd) else {
            throw WeChatError(.badResponse, "the server changed the size of an immutable item")
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        try Task.checkCancellation()  // a transfer nobody waits for any more was stopped: end the stream here
        delivered += Int64(bytes.count)
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(blockSize - buffer.count, rest.count)
            buffer += rest.prefix(take)
            rest = rest.dropFirst(take)
            if buffer.count == blockSize { await emit() }
        }
    }

    func finish() async throws {
        if !buffer.isEmpty { await emit() }
        await item.streamEnded(transfer, total: Int64(firstBlock) * Int64(blockSize) + delivered, firstBlock: firstBlock)
    }

    private func emit() async {
        let data = buffer
        buffer.removeAll(keepingCapacity: true)
        await item.commit(block, data: data, transfer: transfer)
        block += 1
    }
}
