import Foundation
import Testing
@testable import MediaCache

/// What cache format 2 keeps through rewrites, hostile sizes, strangers at an item's path and a second writer.
@Suite struct ItemFileTests {
    let key = CacheKey(kind: .media, id: "Item_1")

    func cache(_ directory: String, access: CacheAccess = .unshared) throws -> DiskDataCache {
        try DiskDataCache(directory: directory, budget: 1 << 30, blockSize: 4096, access: access, packLimit: 0, logger: silent)
    }

    func fresh(size: Int64 = 8192) -> CachedItem {
        var meta = item(size: size, blockSize: 4096)
        meta.fetchedAt = Date().timeIntervalSince1970
        return meta
    }

    @Test func aTornMetaLeavesTheMetaBeforeIt() async throws {
        let directory = temporaryDirectory()
        let first = fresh()
        var second = first
        second.goneAt = first.fetchedAt + 5
        do {
            let writer = try cache(directory)
            try await writer.storeItem(first, for: key)
            try await writer.store(key, block: 0, data: [UInt8](repeating: 3, count: 4096))
            try await writer.storeItem(second, for: key)
            #expect(writer.item(key)?.goneAt == second.goneAt)
        }
        let file = ItemFileOnDisk(directory, key)
        #expect(file.u32(file.slotOffset(1) + 4) == 2, "the second meta went to the other slot, as generation 2")
        try file.patch(file.slotOffset(1) + 12 + 3, [0x7E])  // torn: a write cut short by kill -9 or a full disk
        let reopened = try cache(directory)
        #expect(reopened.item(key) == first, "the meta before it, not an item without one")
        #expect(try await reopened.read(key, block: 0, range: 0..<4) == [3, 3, 3, 3])
    }

    @Test func aMetaThatOutgrowsItsRoomMovesTheItemWithItsBlocks() async throws {
        let directory = temporaryDirectory()
        var longer = fresh()
        do {
            let cache = try cache(directory)
            try await cache.storeItem(longer, for: key)
            try await cache.store(key, block: 0, data: [UInt8](repeating: 1, count: 4096))
            try await cache.store(key, block: 1, data: [UInt8](repeating: 2, count: 4096))
            let capacity = ItemFileOnDisk(directory, key).metaCapacity
            longer.videoURL = "https://cdn.example/" + String(repeating: "v", count: 3000)
            try await cache.storeItem(longer, for: key)
            #expect(ItemFileOnDisk(directory, key).metaCapacity > capacity)
            #expect(try await cache.read(key, block: 1, range: 0..<4) == [2, 2, 2, 2], "read in the new file")
        }
        let reopened = try cache(directory)
        #expect(reopened.item(key) == longer)
        #expect(try await reopened.read(key, block: 0, range: 0..<4096) == [UInt8](repeating: 1, count: 4096))
        #expect(try await reopened.read(key, block: 1, range: 0..<4096) == [UInt8](repeating: 2, count: 4096))
    }

    @Test func aHostileSizeGetsABoundedTableAndBlocksPastItAreNotKept() async throws {
        let directory = temporaryDirectory()
        let cache = try cache(directory)
        try await cache.storeItem(fresh(size: 1 << 50), for: key)  // 2^38 blocks of 4 KiB, as a server might claim
        let file = ItemFileOnDisk(directory, key)
        #expect(file.tableCapacity == 65_536 && file.bytes.count < 1 << 20)
        var status = stat()
        #expect(stat(file.path, &status) == 0 && Int(status.st_blocks) * 512 <= 16 << 10, "the empty table is a hole: \(status.st_blocks) sectors")
        try await cache.store(key, block: 70_000, data: [UInt8](repeating: 9, count: 4096))
        #expect(!cache.hasBlock(key, 70_000) && file.bytes.count < 1 << 20, "served, not kept")
        try await cache.store(key, block: 2, data: [UInt8](repeating: 9, count: 4096))
        #expect(cache.hasBlock(key, 2))
    }

    @Test func aForeignFileAtAnItemsPathIsLeftAlone() async throws {
        let directory = temporaryDirectory()
        let cache = try cache(directory)
        let path = ItemFileOnDisk(directory, key).path
        makeFile(path, Array("someone else's".utf8))
        try await cache.storeItem(fresh(), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 1, count: 4096))
        #expect(FileManager.default.contents(atPath: path) == Data("someone else's".utf8))
        #expect(!cache.hasBlock(key, 0))
    }

    @Test func aBlockOnceVouchedForIsNeverRewritten() async throws {
        let directory = temporaryDirectory()
        let owner = try cache(directory)
        try await owner.storeItem(fresh(), for: key)
        try await owner.store(key, block: 0, data: [UInt8](repeating: 1, count: 4096))
        let guest = try cache(directory, access: .guest)
        try await guest.store(key, block: 0, data: [UInt8](repeating: 2, count: 4096))  // other bytes for the same block
        let file = ItemFileOnDisk(directory, key)
        #expect(file.entry(0).crc == Int(bitwiseCRC32C([UInt8](repeating: 1, count: 4096))))
        #expect(Array(file.bytes[file.blockOffset(0)..<(file.blockOffset(0) + 4)]) == [1, 1, 1, 1])
        #expect(try await owner.read(key, block: 0, range: 0..<4) == [1, 1, 1, 1])
    }

    @Test func evictionKeepsTheMetaAnotherProcessWroteSince() async throws {
        let directory = temporaryDirectory()
        let owner = try DiskDataCache(directory: directory, budget: 4096, blockSize: 4096, packLimit: 0, logger: silent)
        let other = CacheKey(kind: .media, id: "Item_2")
        try await owner.storeItem(fresh(size: 4096), for: key)
        try await owner.store(key, block: 0, data: [UInt8](repeating: 1, count: 4096))
        var gone = fresh(size: 4096)
        gone.goneAt = gone.fetchedAt + 1
        try await (try cache(directory, access: .guest)).storeItem(gone, for: key)  // a guest learnt the item is gone
        try await owner.storeItem(fresh(size: 4096), for: other)
        try await owner.store(other, block: 0, data: [UInt8](repeating: 2, count: 4096))  // over budget: Item_1 goes
        #expect(!owner.hasBlock(key, 0) && ItemFileOnDisk(directory, key).entry(0).length == 0)
        #expect(try cache(directory, access: .guest).item(key)?.goneAt == gone.goneAt)
    }
}
