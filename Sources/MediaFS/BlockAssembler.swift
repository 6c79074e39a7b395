import MediaCache
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
    /// The item's size when the answer said it: each block's buffer is reserved at its real length, so a
    /// 1 KiB thumb costs 1 KiB, not a whole block (docs/benchmarks.md, memory).
    private var totalSize: Int64?
    /// What waiting readers need of the block being assembled (a slow stream serves them before it is whole).
    private let demand: PartialDemand

    init(item: MediaItem, transfer: Int, firstBlock: Int, blockSize: Int, probeEnd: Int?, demand: PartialDemand) {
        self.demand = demand
        self.item = item
        self.transfer = transfer
        self.firstBlock = firstBlock
        self.block = firstBlock
        self.blockSize = blockSize
        self.probeEnd = probeEnd
    }

    func begin(_ head: MediaHead) async throws {
        guard !begun else { return }
        begun = true
        totalSize = head.totalSize
        reserveBlock()
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
        guard !buffer.isEmpty else { return }
        if let total = totalSize, Int64(block) * Int64(blockSize) + Int64(buffer.count) >= total {
            return await emit()  // the item's last bytes are in: its last block is whole now, not at the stream's end
        }
        if let need = demand.need(block), buffer.count >= need {
            await item.partialArrived(block, buffer)
        }
    }

    func finish() async throws {
        if !buffer.isEmpty { await emit() }
        await item.streamEnded(transfer, total: Int64(firstBlock) * Int64(blockSize) + delivered, firstBlock: firstBlock)
    }

    private func emit() async {
        let data = buffer
        buffer = []
        block += 1
        reserveBlock()
        // Its checksum is computed here, in the stream's task, and travels with it to every tier.
        await item.commit(block - 1, data: CheckedBlock(data), transfer: transfer)
    }

    /// Room for the next block: a whole block, or what is left of the item when its size is known.
    private func reserveBlock() {
        let start = Int64(block) * Int64(blockSize)
        let length = totalSize.map { max(0, min(Int64(blockSize), $0 - start)) } ?? Int64(blockSize)
        if length > 0 { buffer.reserveCapacity(Int(length)) }
    }
}
