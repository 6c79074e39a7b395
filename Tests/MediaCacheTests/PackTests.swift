import Foundation
import Testing
@testable import MediaCache
import Scratch

/// Issue 21: small whole items several to a file (packs), never read as anything but the bytes stored.
/// Expected bytes come from `bytes(of:)`, a generator of the test's own; what is on disk is looked at with `stat`
/// and by searching the pack's bytes, not through the cache.
@Suite struct PackTests {
    func key(_ n: Int) -> CacheKey { CacheKey(kind: .media, id: "Small_\(n)") }

    /// Item `n`'s bytes: 1 to 20,000 of them, from a linear congruential generator seeded by `n`.
    func bytes(of n: Int) -> [UInt8] {
        var state = UInt32(truncatingIfNeeded: n &* 2_654_435_761 &+ 1)
        let count = Int(state % 20_000) + 1
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    func store(_ cache: DiskDataCache, _ n: Int, fetchedAt: Double = Date().timeIntervalSince1970) async throws {
        let data = bytes(of: n)
        var meta = item(size: Int64(data.count), blockSize: 1 << 20)
        meta.fetchedAt = fetchedAt
        try await cache.storeItem(meta, for: key(n))
        try await cache.store(key(n), block: 0, data: data)
    }

    func packs(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/v2/packs")) ?? []).filter { $0.hasSuffix(".pack") }.sorted()
            .map { directory + "/v2/packs/" + $0 }
    }

    /// Disk space the file takes, as the kernel counts it.
    func allocated(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : 0
    }

    func open(_ directory: String, budget: Int64 = 1 << 30, access: CacheAccess = .unshared, life: Double = CachedItem.mediaLife,
              now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws -> DiskDataCache {
        try DiskDataCache(directory: directory, budget: budget, access: access, mediaLife: life, now: now, logger: silent)
    }

    @Test func smallItemsShareAPackAndReadBackAfterARestart() async throws {
        let directory = Scratch.directory("packs")
        do {
            let cache = try open(directory)
            for n in 0..<200 { try await store(cache, n) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/v2/media").isEmpty, "no file per item")
        #expect(packs(directory).count == 1)
        let reopened = try open(directory)
        for n in 0..<200 {
            let expected = bytes(of: n)
            #expect(reopened.item(key(n))?.size == Int64(expected.count))
            #expect(try await reopened.read(key(n), block: 0, range: 0..<expected.count) == expected, "item \(n)")
        }
        #expect(reopened.statistics().items == 200)
    }

    @Test func aDamagedRecordIsNeverServed() async throws {
        let directory = Scratch.directory("packs-damaged")
        let cache = try open(directory)
        for n in 0..<3 { try await store(cache, n) }
        let pack = try #require(packs(directory).first)
        var onDisk = [UInt8](try #require(FileManager.default.contents(atPath: pack)))
        let at = try #require(find(bytes(of: 1), in: onDisk))
        onDisk[at + 7] ^= 0x01
        try Data(onDisk).write(to: URL(fileURLWithPath: pack))
        let reopened = try open(directory)
        #expect(try await reopened.read(key(1), block: 0, range: 0..<bytes(of: 1).count) == nil)
        #expect(reopened.statistics().corruptBlocks == 1)
        #expect(try await reopened.read(key(2), block: 0, range: 0..<bytes(of: 2).count) == bytes(of: 2), "its neighbour is fine")
        // Fetched again: packed anew and read whole.
        try await reopened.store(key(1), block: 0, data: bytes(of: 1))
        #expect(try await reopened.read(key(1), block: 0, range: 0..<bytes(of: 1).count) == bytes(of: 1))
    }

    /// A server's bytes that look like a record (for another item) are never taken for one, even when the real
    /// record's header and the start of its data were lost (a crash before their page reached the disk).
    @Test func bytesAServerSentNeverPassForARecord() async throws {
        let directory = Scratch.directory("packs-forged")
        let victim = CacheKey(kind: .media, id: "Forged")
        let recordStart = 64, dataStart = recordStart + 32 + key(0).id.utf8.count
        let fakeAt = (dataStart + 256 + 15) / 16 * 16
        let fakeMeta = try JSONEncoder().encode(item(size: 5, blockSize: 1 << 20))
        // Forged as well as one can without the pack's nonce.
        let fake = PackFormat.record(victim, data: [1, 2, 3, 4, 5], meta: [UInt8](fakeMeta), nonce: 0, offset: fakeAt)
        let data = [UInt8](repeating: 0x41, count: fakeAt - dataStart) + fake + [UInt8](repeating: 0x42, count: 100)
        do {
            let cache = try open(directory)
            var meta = item(size: Int64(data.count), blockSize: 1 << 20)
            meta.fetchedAt = Date().timeIntervalSince1970
            try await cache.storeItem(meta, for: key(0))
            try await cache.store(key(0), block: 0, data: data)
        }
        let pack = try #require(packs(directory).first)
        var onDisk = [UInt8](try #require(FileManager.default.contents(atPath: pack)))
        #expect(find(fake, in: onDisk) == fakeAt, "the forged record sits where a record could start")
        onDisk.replaceSubrange(recordStart..<fakeAt, with: [UInt8](repeating: 0, count: fakeAt - recordStart))
        try Data(onDisk).write(to: URL(fileURLWithPath: pack))
        let reopened = try open(directory)
        #expect(reopened.item(victim) == nil)
        #expect(reopened.item(key(0)) == nil)
    }

    @Test func evictionFreesTheDiskAndKeepsTheItemListed() async throws {
        let directory = Scratch.directory("packs-evicted")
        let budget: Int64 = 200_000
        let cache = try open(directory, budget: budget)
        let stored = 0..<120
        for n in stored { try await store(cache, n) }
        let total = stored.reduce(0) { $0 + bytes(of: $1).count }
        let pack = try #require(packs(directory).first)
        #expect(total > 5 * Int(budget))
        #expect(allocated(pack) < Int(budget) + 64 * 1024, "punched records free their pages: \(allocated(pack)) bytes for \(total) written")
        #expect(cache.statistics().bytes <= budget)
        #expect(cache.item(key(0)) != nil && !cache.hasBlock(key(0), 0), "evicted, still known")
        let reopened = try open(directory, budget: budget)
        #expect(reopened.item(key(0))?.size == Int64(bytes(of: 0).count) && !reopened.hasBlock(key(0), 0))
        let last = stored.upperBound - 1
        #expect(try await reopened.read(key(last), block: 0, range: 0..<bytes(of: last).count) == bytes(of: last))
    }

    @Test func aNewMetaKeepsTheBytes() async throws {
        let directory = Scratch.directory("packs-meta")
        do {
            let cache = try open(directory)
            try await store(cache, 7)
            var meta = try #require(cache.item(key(7)))
            meta.goneAt = 1234
            try await cache.storeItem(meta, for: key(7))
        }
        let reopened = try open(directory)
        #expect(reopened.item(key(7))?.goneAt == 1234)
        #expect(try await reopened.read(key(7), block: 0, range: 0..<bytes(of: 7).count) == bytes(of: 7))
    }

    @Test func aGuestMissesWhatTheOwnerPunched() async throws {
        let directory = Scratch.directory("packs-guest")
        let owner = try open(directory, budget: 100_000)
        for n in 0..<3 { try await store(owner, n) }
        let guest = try open(directory, access: .guest)
        #expect(try await guest.read(key(0), block: 0, range: 0..<bytes(of: 0).count) == bytes(of: 0))
        for n in 3..<40 { try await store(owner, n) }  // evicts the first ones
        #expect(!owner.hasBlock(key(0), 0))
        #expect(try await guest.read(key(0), block: 0, range: 0..<bytes(of: 0).count) == nil, "a miss, never zeros")
        // Fetched again by the guest: kept in a file of its own (a guest writes no pack).
        try await guest.store(key(0), block: 0, data: bytes(of: 0))
        #expect(try await guest.read(key(0), block: 0, range: 0..<bytes(of: 0).count) == bytes(of: 0))
    }

    /// Evicting items past the media life frees each record once: the pack stays while it holds live records.
    @Test func expiredVictimsLeaveTheirNeighboursReadable() async throws {
        let directory = Scratch.directory("packs-expired")
        let clock = TestClock(5_000_000)
        let old = 0..<10
        do {
            let cache = try open(directory, life: 1000, now: clock.now)
            for n in old { try await store(cache, n, fetchedAt: clock.now()) }
        }
        clock.advance(by: 2000)
        let budget = Int64(old.reduce(0) { $0 + bytes(of: $1).count })
        let cache = try open(directory, budget: budget, life: 1000, now: clock.now)
        var next = 100
        while old.filter({ !cache.hasBlock(key($0), 0) }).count < 6 {
            try await store(cache, next, fetchedAt: clock.now())
            next += 1
        }
        let left = old.filter { cache.hasBlock(key($0), 0) }
        try #require(!left.isEmpty)
        for n in left { #expect(try await cache.read(key(n), block: 0, range: 0..<bytes(of: n).count) == bytes(of: n), "item \(n)") }
    }

    /// A meta too long to keep (a hostile filename) is not written: the records after it are still found.
    @Test func aMetaTooLongIsNotKeptAndHidesNothing() async throws {
        let directory = Scratch.directory("packs-long-meta")
        do {
            let cache = try open(directory)
            try await store(cache, 1)
            var meta = item(size: Int64(bytes(of: 2).count), blockSize: 1 << 20)
            meta.filename = String(repeating: "\u{1}", count: 20_000)  // 120,000 bytes of JSON escapes
            try await cache.storeItem(meta, for: key(2))
            try await cache.store(key(2), block: 0, data: bytes(of: 2))
            try await store(cache, 3)
        }
        let reopened = try open(directory)
        #expect(try await reopened.read(key(1), block: 0, range: 0..<bytes(of: 1).count) == bytes(of: 1))
        #expect(try await reopened.read(key(3), block: 0, range: 0..<bytes(of: 3).count) == bytes(of: 3))
        #expect(reopened.item(key(2)) == nil)
    }

    @Test func aPackWhoseItemsAllWentGoes() async throws {
        let directory = Scratch.directory("packs-dead")
        let clock = TestClock(5_000_000)
        do {
            let cache = try open(directory, life: 1000, now: clock.now)
            for n in 0..<3 { try await store(cache, n, fetchedAt: clock.now()) }
        }
        let first = try #require(packs(directory).first)
        clock.advance(by: 2000)
        let cache = try open(directory, budget: 30_000, life: 1000, now: clock.now)
        for n in 10..<20 { try await store(cache, n, fetchedAt: clock.now()) }  // evicts and expires the old ones
        #expect(cache.item(key(0)) == nil)
        #expect(!packs(directory).contains(first), "its pack is gone")
    }

    /// A cache written with one file per item (before packs): its small items move into packs at the owner's next
    /// start, evicted ones (a meta alone) too, and read back the same; a guest moves nothing.
    @Test func anOldCachesSmallItemsMoveIntoPacks() async throws {
        let directory = Scratch.directory("packs-repack")
        do {
            let files = try DiskDataCache(directory: directory, budget: 1 << 30, packLimit: 0, logger: silent)
            for n in 0..<30 { try await store(files, n) }
            var evicted = item(size: 5000, blockSize: 1 << 20)
            evicted.fetchedAt = Date().timeIntervalSince1970
            try await files.storeItem(evicted, for: key(99))  // a meta alone, as eviction leaves it
        }
        let media = directory + "/v2/media"
        #expect(try FileManager.default.contentsOfDirectory(atPath: media).count == 31)
        _ = try open(directory, access: .guest)
        #expect(try FileManager.default.contentsOfDirectory(atPath: media).count == 31, "a guest moves nothing")
        let owner = try open(directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: media).isEmpty, "every small item moved")
        #expect(!packs(directory).isEmpty)
        for n in 0..<30 { #expect(try await owner.read(key(n), block: 0, range: 0..<bytes(of: n).count) == bytes(of: n), "item \(n)") }
        #expect(owner.item(key(99))?.size == 5000 && !owner.hasBlock(key(99), 0))
        let again = try open(directory)
        for n in 0..<30 { #expect(try await again.read(key(n), block: 0, range: 0..<bytes(of: n).count) == bytes(of: n), "item \(n)") }
        #expect(again.item(key(99))?.size == 5000)
    }

    func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0] == needle[0] && Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
