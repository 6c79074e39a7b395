import MediaCache
import Testing
@testable import MediaFS

/// Issue 20, point 3: one reading of inode numbers, and an item's generation can never reach another kind's bits.
@Suite struct NodeIDTests {
    @Test func eachRangeReadsAsItsKind() {
        #expect(NodeID(Inode.root) == .fixed(1) && NodeID(Inode.uploadTypes.upperBound) == .fixed(11))
        #expect(NodeID(Inode.firstItem).isItem && NodeID(Inode.uploadBit - 1).isItem)
        #expect(NodeID(Inode.uploadBit | 7).isUpload)
        #expect(NodeID(Inode.inboxBit | 7).isInbox)
        #expect(NodeID(1 << 63 | Inode.inboxBit | Inode.uploadBit) == .placeholder(1 << 63 | Inode.inboxBit | Inode.uploadBit))
        // The largest item number a slot can give stays an item.
        let largest = NodeID.item(slot: .max, generation: NodeID.maxGeneration - 1)
        #expect(NodeID(largest).isItem)
        #expect(NodeID.slotAndGeneration(largest)! == (Int(UInt32.max), NodeID.maxGeneration - 1))
    }

    /// A slot reused until its generation would pass 2^28 retires: the next lookup gets a new slot, whose number
    /// is still an item's (before, generations up to 2^31 reached the upload bit at 2^29 and the inbox bit at 2^30).
    @Test func aWornOutSlotRetiresInsteadOfReachingTheUploadBit() {
        var table = InodeTable()
        let key = CacheKey(kind: .media, id: "Worn_1")
        let first = table.lookedWithoutActor(key)
        table.forget(first, count: 1)
        table.setGeneration(ofSlotOf: first, to: (1 << 29) - 1)  // reused once more, the old rule gave 2^29: the upload bit
        let next = table.lookedWithoutActor(CacheKey(kind: .media, id: "Next_1"))
        #expect(NodeID(next).isItem, "inode \(next) is not an item's")
        #expect(NodeID.slotAndGeneration(next)?.slot != NodeID.slotAndGeneration(first)?.slot, "the worn slot is not reused")
        #expect(table.key(next) == CacheKey(kind: .media, id: "Next_1"))
    }
}
