import Foundation
import Testing
@testable import MediaCache

/// Several processes on one directory: a guest deletes nothing; even an owner deletes only what is abandoned
/// (a temporary whose writer is dead, a meta-less item file untouched for an hour) and never keeps a budget as a guest.
@Suite struct SharedDirectoryTests {
    let key = CacheKey(kind: .media, id: "Item_1")

    /// What a mount streaming an item without Content-Length leaves while it works: an item file with a block and
    /// no meta yet (written by a guest cache, as a mount would), and a file being made by this (live) process.
    func liveWork(in directory: String) async throws -> String {
        let streaming = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, access: .guest, packLimit: 0, logger: silent)
        try await streaming.store(CacheKey(kind: .media, id: "Streaming_item"), block: 0, data: [UInt8](repeating: 5, count: 4096))
        let path = directory + "/v2/media/Streaming_item"
        makeFile(path + ".tmp-\(getpid())-77")
        return path
    }

    @Test func anOwnerKeepsAnotherProcesssLiveWork() async throws {
        let directory = temporaryDirectory()
        let path = try await liveWork(in: directory)
        let owner = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(exists(path), "a young file without meta is a stream in progress")
        #expect(exists(path + ".tmp-\(getpid())-77"), "a temporary of a live process is a write in progress")
        #expect(owner.item(CacheKey(kind: .media, id: "Streaming_item")) == nil)
    }

    @Test func anOwnerRemovesWhatIsAbandoned() async throws {
        let directory = temporaryDirectory()
        let path = try await liveWork(in: directory)
        let media = directory + "/v2/media/"
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
            try await storeWholeItem(cache, key, fetchedAt: Date().timeIntervalSince1970)
        }
        makeFile(media + "\(key.id).tmp-\(deadPID)-1")
        makeFile(media + "\(key.id).tmp-\(getpid())-2")
        let later = TestClock(Date().timeIntervalSince1970 + 2 * 3600)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, now: later.now, packLimit: 0, logger: silent)
        #expect(!exists(media + "\(key.id).tmp-\(deadPID)-1"), "its writer is dead")
        #expect(!exists(media + "\(key.id).tmp-\(getpid())-2"), "untouched for an hour: its pid was reused")
        #expect(!exists(path), "no meta and untouched for an hour")
        #expect(cache.hasBlock(key, 0))
    }

    @Test func aGuestDeletesNothing() async throws {
        let directory = temporaryDirectory()
        let path = try await liveWork(in: directory)
        makeFile(path + ".tmp-\(deadPID)-1")
        let later = TestClock(Date().timeIntervalSince1970 + 30 * 86400)
        let guest = try DiskDataCache(directory: directory, budget: 4096, blockSize: 4096, access: .guest, now: later.now, packLimit: 0, logger: silent)
        #expect(exists(path) && exists(path + ".tmp-\(getpid())-77") && exists(path + ".tmp-\(deadPID)-1"))
        // Nor does it evict: a guest keeps no budget (the owner's would be a second one).
        try await storeWholeItem(guest, key, fetchedAt: later.now() - 10 * 86400, blocks: 3)
        #expect((0..<3).allSatisfy { guest.hasBlock(key, $0) })
        #expect(guest.statistics().evictedBlocks == 0)
        await #expect(throws: CacheIOError.self) { try await guest.clear() }
        #expect(exists(directory + "/v2/media/\(key.id)"))
    }

    @Test func blocksAGuestWroteAreTheOwnersAfterItsNextStart() async throws {
        let directory = temporaryDirectory()
        let guest = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, access: .guest, packLimit: 0, logger: silent)
        try await storeWholeItem(guest, key, fetchedAt: Date().timeIntervalSince1970, blocks: 2)
        let owner = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(try await owner.read(key, block: 1, range: 0..<4) == [1, 1, 1, 1])
    }
}
