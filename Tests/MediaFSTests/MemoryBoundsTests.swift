import Foundation
import MediaCache
import Testing
import WeChatAPI
@testable import MediaFS

/// Items, inodes and the negative cache stay bounded however many ids a mount meets over months.
@Suite struct MemoryBoundsTests {
    static func images(_ count: Int) -> [String: FakeDownloader.Item] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("Known_\($0)", FakeDownloader.Item(bytes: pattern(100 + $0), contentType: "image/jpeg")) })
    }

    @Test func unknownIdsLeaveNoItemBehind() async throws {
        // Memory, not rationing, is under test here: UnknownIDGuard's limits are raised past the 500 ids.
        let fixture = try FSFixture([:], unknownIDs: UnknownIDGuard.Limits(burst: 1_000, perSecond: 1, perDay: 1_000))
        for index in 0..<500 {
            #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Unknown_\(index)") } == .noEntry)
        }
        #expect(fixture.fs.itemsInMemory == 0, "a failed lookup keeps no item")
        #expect(fixture.fs.negativeEntries == 500)
    }

    @Test func forgottenItemsAreDroppedUnlessOpen() async throws {
        let fixture = try FSFixture(Self.images(50))
        var inodes: [UInt64] = []
        for index in 0..<50 {
            let attributes = try await fixture.fs.lookup(parent: Inode.media, name: "Known_\(index)")
            _ = try await fixture.fs.lookup(parent: Inode.media, name: "Known_\(index)")  // nlookup 2
            inodes.append(attributes.inode)
        }
        #expect(fixture.fs.itemsInMemory == 50)
        let opened = try await fixture.fs.open(inodes[0], flags: O_RDONLY)
        for inode in inodes { fixture.fs.forget(inode, count: 1) }
        #expect(fixture.fs.itemsInMemory == 50, "one lookup of each is still held by the kernel")
        for inode in inodes { fixture.fs.forget(inode, count: 1) }
        #expect(fixture.fs.itemsInMemory == 1, "only the open one stays")
        #expect(try await fixture.fs.read(handle: opened.handle, offset: 0, count: 100) == pattern(100))
        fixture.fs.release(handle: opened.handle)
        #expect(fixture.fs.itemsInMemory == 0)
        // Looked up again: a new item, served from the cache without another download.
        let calls = fixture.fake.calls
        #expect(try await fixture.readAll("Known_3") == pattern(103))
        #expect(fixture.fake.calls == calls)
    }

    @Test func inodeNumbersAreNeverGivenTwice() async throws {
        let fixture = try FSFixture(Self.images(3))
        let first = try await fixture.fs.lookup(parent: Inode.media, name: "Known_0").inode
        fixture.fs.forget(first, count: 1)
        #expect(fixture.fs.itemsInMemory == 0)
        // The freed slot is used again, under another number; the old number is stale, not someone else's.
        let second = try await fixture.fs.lookup(parent: Inode.media, name: "Known_1").inode
        let third = try await fixture.fs.lookup(parent: Inode.media, name: "Known_2").inode
        #expect(Set([first, second, third]).count == 3)
        #expect(await errno { try await fixture.fs.getattr(first) } != nil, "a forgotten number answers no one's attributes")
        #expect(try await fixture.fs.getattr(second).size == 101)
        #expect(try await fixture.fs.getattr(third).size == 102)
    }

    @Test func theNegativeCacheIsBoundedAndPruned() {
        var cache = NegativeCache(limit: 100)
        for index in 0..<1_000 {
            cache.insert(CacheKey(kind: .media, id: "Bad_\(index)"), until: Double(index) + 60, now: Double(index))
            #expect(cache.count <= 100)
        }
        #expect(cache.contains(CacheKey(kind: .media, id: "Bad_999"), now: 999), "the newest entries stay")
        #expect(!cache.contains(CacheKey(kind: .media, id: "Bad_0"), now: 999))
        // Expired entries go first.
        var expiring = NegativeCache(limit: 10)
        for index in 0..<10 { expiring.insert(CacheKey(kind: .media, id: "Old_\(index)"), until: 5, now: 0) }
        expiring.insert(CacheKey(kind: .media, id: "New"), until: 100, now: 10)
        #expect(expiring.count == 1)
    }

    @Test func heldInodesKeepNoIdleActor() async throws {
        let fixture = try FSFixture(Self.images(40))
        for index in 0..<40 { #expect(try await fixture.readAll("Known_\(index)") == pattern(100 + index)) }
        await fixture.fs.drain()
        for index in 0..<40 { _ = try await fixture.fs.lookup(parent: Inode.media, name: "Known_\(index)") }
        #expect(fixture.fs.itemsInMemory == 40, "the kernel holds 40 inodes")
        // `drain` waits for the writes, not for the streams' last report (`streamEnded`), which may still be on
        // its way to an actor on a loaded machine (this failed once under the chaos suite's load): give it time.
        let deadline = ContinuousClock.now + .seconds(5)
        while fixture.fs.actorsHeld > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(fixture.fs.actorsHeld == 0, "none of them keeps an actor once idle")
        // Used again: an actor is made from the cache index, with no download.
        let calls = fixture.fake.calls
        #expect(try await fixture.readAll("Known_7") == pattern(107))
        let attributes = try await fixture.fs.lookup(parent: Inode.media, name: "Known_8")
        #expect(try await fixture.fs.getattr(attributes.inode).size == 108)
        #expect(fixture.fake.calls == calls)
    }
}
