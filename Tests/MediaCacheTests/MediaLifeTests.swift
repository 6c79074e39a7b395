import Foundation
import Testing
@testable import MediaCache
@testable import MediaFS

/// WeChat deletes temporary media 3 days after creation; `fetchedAt` is a lower bound of an item's age.
@Suite struct MediaLifeTests {
    let life: Double = 1000
    func key(_ id: String) -> CacheKey { CacheKey(kind: .media, id: id) }

    @Test func listedAreWholeItemsAndThoseTheServerMayStillHave() async throws {
        let clock = TestClock(5_000_000)
        let cache = try DiskDataCache(directory: temporaryDirectory(), budget: 1 << 20, blockSize: 4096, mediaLife: life, now: clock.now, packLimit: 0, logger: silent)
        let start = clock.now()
        try await storeWholeItem(cache, key("Whole_old"), fetchedAt: start - 2 * life, blocks: 2)
        try await storeWholeItem(cache, key("Partial_young"), fetchedAt: start, blocks: 1)
        var partial = item(size: 8192, blockSize: 4096)
        partial.fetchedAt = start
        try await cache.storeItem(partial, for: key("Partial_young"))                      // 2 blocks announced, 1 cached
        partial.fetchedAt = start - 2 * life
        try await cache.storeItem(partial, for: key("Partial_old"))
        partial.fetchedAt = start
        partial.goneAt = start
        try await cache.storeItem(partial, for: key("Partial_gone"))
        var whole = item(size: 4096, blockSize: 4096)
        whole.goneAt = start
        try await cache.storeItem(whole, for: key("Whole_gone"))
        try await cache.store(key("Whole_gone"), block: 0, data: [UInt8](repeating: 1, count: 4096))
        var empty = item(size: 0, blockSize: 4096)
        empty.fetchedAt = start - 2 * life
        try await cache.storeItem(empty, for: key("Empty_old"))

        let rule = MediaLife(seconds: life)
        func listed(_ created: [String: Int64] = [:]) async -> Set<String> {
            Set(rule.listable(await cache.summaries(nil), now: clock.now(), created: created).map(\.key.id))
        }
        #expect(await listed() == ["Whole_old", "Partial_young", "Whole_gone", "Empty_old"])
        // Fetched just now, but a follower message says it was created a whole life ago: an incomplete item goes.
        let created = ["Partial_young": Int64(start - life), "Whole_old": Int64(start - 3 * life)]
        #expect(await listed(created) == ["Whole_old", "Whole_gone", "Empty_old"])
        clock.advance(by: life)
        #expect(await listed() == ["Whole_old", "Whole_gone", "Empty_old"])
        #expect(cache.knownItems().count == 6, "known is not listable: a read of a known item still works where cached")
    }

    @Test func evictionRemovesAnItemPastItsLifeOnceNoBlockIsLeft() async throws {
        let clock = TestClock(5_000_000)
        let directory = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory, budget: 2 * 4096, blockSize: 4096, mediaLife: life, now: clock.now, packLimit: 0, logger: silent)
        try await storeWholeItem(cache, key("Old_item"), fetchedAt: clock.now())
        try await storeWholeItem(cache, key("Young_item"), fetchedAt: clock.now())
        clock.advance(by: life + 1)
        try await storeWholeItem(cache, key("Newest"), fetchedAt: clock.now())             // evicts Old_item's block
        #expect(cache.item(key("Old_item")) == nil)
        #expect(!exists(directory + "/v2/media/Old_item"), "its file is gone: it can never be read again")
        #expect(cache.hasBlock(key("Young_item"), 0))
        clock.advance(by: -life)                                                           // now Young_item is young
        try await storeWholeItem(cache, key("Newer"), fetchedAt: clock.now())              // evicts Young_item's block
        #expect(cache.item(key("Young_item")) != nil && exists(directory + "/v2/media/Young_item"), "still fetchable")
        #expect(ItemFileOnDisk(directory, key("Young_item")).entry(0).length == 0, "its file holds its meta alone")
    }

    @Test func theOwnerDropsExpiredEmptyItemsAtStartAGuestDoesNot() async throws {
        let clock = TestClock(5_000_000)
        let directory = temporaryDirectory()
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, mediaLife: life, now: clock.now, packLimit: 0, logger: silent)
            var meta = item(size: 4096, blockSize: 4096)
            meta.fetchedAt = clock.now()
            try await cache.storeItem(meta, for: key("No_blocks"))
        }
        clock.advance(by: life)
        let guest = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, access: .guest, mediaLife: life, now: clock.now, packLimit: 0, logger: silent)
        #expect(guest.item(key("No_blocks")) != nil)
        _ = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, mediaLife: life, now: clock.now, packLimit: 0, logger: silent)
        #expect(!exists(directory + "/v2/media/No_blocks"))
    }

    @Test func goneAtIsOptionalInOldMetas() throws {
        let old = #"{"format":1,"size":10,"contentType":"image/jpeg","fileExtension":"jpg","rangeSupported":false,"fetchedAt":5,"blockSize":4096}"#
        let decoded = try JSONDecoder().decode(CachedItem.self, from: Data(old.utf8))
        #expect(decoded.goneAt == nil && decoded.size == 10)
        var gone = decoded
        gone.goneAt = 7
        #expect(try JSONDecoder().decode(CachedItem.self, from: JSONEncoder().encode(gone)).goneAt == 7)
    }
}
