import Foundation
import Testing
@testable import MediaCache

/// An item file that cannot be read fails that read only; a descriptor is closed exactly once.
@Suite struct ReadFailureTests {
    let key = CacheKey(kind: .media, id: "Item_1")
    let other = CacheKey(kind: .media, id: "Item_2")

    /// A cache holding `blocks` blocks of `key` and one of `other`, `key`'s file replaced by something that cannot
    /// be opened (a symlink to itself: ELOOP; a root test cannot use chmod 000).
    func cacheWithUnreadableItem(blocks: Int) async throws -> DiskDataCache {
        let directory = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        try await storeWholeItem(cache, key, fetchedAt: Date().timeIntervalSince1970, blocks: blocks)
        try await storeWholeItem(cache, other, fetchedAt: Date().timeIntervalSince1970, blocks: 1)
        let path = ItemFileOnDisk(directory, key).path
        unlink(path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: key.id)
        return cache
    }

    @Test func anUnreadableFileFailsOneReadThenIsFetchedAgain() async throws {
        let cache = try await cacheWithUnreadableItem(blocks: 2)
        await #expect(throws: CacheIOError.self) { try await cache.read(key, block: 1, range: 0..<4) }
        // Not poisoned: the next read is a miss (the caller fetches the block), and the rewrite serves again.
        #expect(try await cache.read(key, block: 1, range: 0..<4) == nil)
        #expect(!cache.hasBlock(key, 1) && cache.statistics().corruptBlocks == 0)
        try await cache.store(key, block: 1, data: [UInt8](repeating: 9, count: 4096))
        #expect(try await cache.read(key, block: 1, range: 0..<4) == [9, 9, 9, 9])
        #expect(try await cache.read(key, block: 0, range: 0..<4) == nil, "the link's place went to a new file: block 0 is a miss, never other bytes")
        #expect(try await cache.read(other, block: 0, range: 0..<4) == [0, 0, 0, 0], "the other items were never affected")
    }

    @Test func verifyGoesOnPastAnUnreadableFile() async throws {
        let cache = try await cacheWithUnreadableItem(blocks: 2)
        let result = await cache.verifyAll()
        #expect(result.checked == 3 && result.corrupt == 0 && result.unreadable == 2)
        #expect(cache.hasBlock(other, 0))
    }

    @Test func transientErrorsKeepTheBlock() {
        #expect(CacheIOError(errno: EMFILE, operation: "open").isTransient)
        #expect(CacheIOError(errno: ENFILE, operation: "open").isTransient)
        #expect(!CacheIOError(errno: EACCES, operation: "open").isTransient)
        #expect(!CacheIOError(errno: EIO, operation: "read").isTransient)
    }

    @Test func closeIsCalledOnceEvenWhenItFailsWithEINTR() throws {
        let directory = temporaryDirectory()
        let calls = Counter()
        #expect(throws: CacheIOError.self) {
            try CacheFiles.writeAtomically(directory + "/meta", [[1, 2, 3]]) { fd in
                calls.increment()
                close(fd)  // Linux has released the descriptor when close reports EINTR
                errno = EINTR
                return -1
            }
        }
        #expect(calls.value == 1, "a second close could close another thread's descriptor")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "neither the file nor its temporary")
        try CacheFiles.writeAtomically(directory + "/meta", [[1, 2, 3]]) { fd in
            calls.increment()
            return close(fd)
        }
        #expect(calls.value == 2)
        #expect(try CacheFiles.readAll(directory + "/meta") == [1, 2, 3])
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()  // guards `count`
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
