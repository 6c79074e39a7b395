import Foundation
import Testing
@testable import MediaCache

/// Several processes on one directory: a guest deletes nothing; even an owner deletes only what is abandoned
/// (a temporary whose writer is dead, a meta-less folder untouched for an hour) and never keeps a budget as a guest.
@Suite struct SharedDirectoryTests {
    let key = CacheKey(kind: .media, id: "Item_1")

    /// What a mount streaming an item without Content-Length leaves while it works: blocks, no meta yet, and a
    /// block being written by this (live) process.
    func liveWork(in directory: String) throws -> String {
        let folder = directory + "/v1/media/Streaming_item"
        try makeFolder(folder)
        makeFile(folder + "/0.blk")
        makeFile(folder + "/1.blk.tmp-\(getpid())-77")
        return folder
    }

    @Test func anOwnerKeepsAnotherProcesssLiveWork() async throws {
        let directory = temporaryDirectory()
        let folder = try liveWork(in: directory)
        _ = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(exists(folder + "/0.blk"), "a young folder without meta is a stream in progress")
        #expect(exists(folder + "/1.blk.tmp-\(getpid())-77"), "a temporary of a live process is a write in progress")
    }

    @Test func anOwnerRemovesWhatIsAbandoned() async throws {
        let directory = temporaryDirectory()
        let folder = try liveWork(in: directory)
        let withMeta = directory + "/v1/media/\(key.id)"
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
            try await storeWholeItem(cache, key, fetchedAt: Date().timeIntervalSince1970)
        }
        makeFile(withMeta + "/1.blk.tmp-\(deadPID)-1")
        makeFile(withMeta + "/0.blk.tmp-\(getpid())-2")
        let later = TestClock(Date().timeIntervalSince1970 + 2 * 3600)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, now: later.now, logger: silent)
        #expect(!exists(withMeta + "/1.blk.tmp-\(deadPID)-1"), "its writer is dead")
        #expect(!exists(withMeta + "/0.blk.tmp-\(getpid())-2"), "untouched for an hour: its pid was reused")
        #expect(!exists(folder), "no meta and untouched for an hour")
        #expect(cache.hasBlock(key, 0))
    }

    @Test func aGuestDeletesNothing() async throws {
        let directory = temporaryDirectory()
        let folder = try liveWork(in: directory)
        makeFile(folder + "/2.blk.tmp-\(deadPID)-1")
        let later = TestClock(Date().timeIntervalSince1970 + 30 * 86400)
        let guest = try DiskDataCache(directory: directory, budget: 4096, blockSize: 4096, access: .guest, now: later.now, logger: silent)
        #expect(exists(folder + "/0.blk") && exists(folder + "/1.blk.tmp-\(getpid())-77") && exists(folder + "/2.blk.tmp-\(deadPID)-1"))
        // Nor does it evict: a guest keeps no budget (the owner's would be a second one).
        try await storeWholeItem(guest, key, fetchedAt: later.now() - 10 * 86400, blocks: 3)
        #expect((0..<3).allSatisfy { guest.hasBlock(key, $0) })
        #expect(guest.statistics().evictedBlocks == 0)
        await #expect(throws: CacheIOError.self) { try await guest.clear() }
        #expect(exists(directory + "/v1/media/\(key.id)/meta"))
    }

    @Test func blocksAGuestWroteAreTheOwnersAfterItsNextStart() async throws {
        let directory = temporaryDirectory()
        let guest = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, access: .guest, logger: silent)
        try await storeWholeItem(guest, key, fetchedAt: Date().timeIntervalSince1970, blocks: 2)
        let owner = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await owner.read(key, block: 1, range: 0..<4) == [1, 1, 1, 1])
    }
}
