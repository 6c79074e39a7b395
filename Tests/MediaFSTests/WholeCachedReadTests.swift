import Foundation
import MediaCache
import Testing
@testable import MediaFS
import Scratch

/// Reads of an item the cache holds whole go without actor or task (`readWholeCached`, run by the bridge on a
/// disk thread): the same bytes as the ordinary path, no call, and a decline (nil), never other bytes, when the
/// cache cannot vouch for them.
@Suite struct WholeCachedReadTests {
    static let id = "Whole_item_1"
    static let bytes = pattern(10_000, seed: 5)

    func open(_ fixture: FSFixture) async throws -> UInt64 {
        let attributes = try await fixture.fs.lookup(parent: Inode.media, name: Self.id + ".jpg")
        return try await fixture.fs.open(attributes.inode, flags: O_RDONLY).handle
    }

    @Test func aWholeItemReadsTheSameBytesWithoutACall() async throws {
        let fixture = try FSFixture([Self.id: .init(bytes: Self.bytes, contentType: "image/jpeg")])
        let handle = try await open(fixture)
        #expect(!fixture.fs.holdsWhole(handle: handle), "nothing cached yet")
        #expect(fixture.fs.readWholeCached(handle: handle, offset: 0, count: 100) == nil)
        _ = try await fixture.readAll(Self.id + ".jpg")
        await fixture.fs.drain()  // blocks are written beside the stream: wait for them
        #expect(fixture.fs.holdsWhole(handle: handle))
        for (offset, count) in [(0, 4096), (4000, 5000), (9_990, 100), (10_000, 10), (0, 20_000)] {
            let end = min(Self.bytes.count, offset + count)
            #expect(fixture.fs.readWholeCached(handle: handle, offset: Int64(offset), count: count) == Array(Self.bytes[min(offset, end)..<end]))
        }
        #expect(fixture.fake.calls == 1)
        fixture.fs.release(handle: handle)
    }

    @Test func aBlockThatFailsItsCheckIsDeclinedThenFetchedAgain() async throws {
        let directory = Scratch.path("whole-damaged")
        let first = try FSFixture([Self.id: .init(bytes: Self.bytes, contentType: "image/jpeg")], cacheDirectory: directory)
        _ = try await first.readAll(Self.id + ".jpg")
        await first.fs.drain()
        // Damage block 1's data, found by the layout (header: table capacity at 16, meta capacity at 20; two slots).
        let path = directory + "/v2/media/" + Self.id
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        let head = [UInt8](file.readData(ofLength: 64))
        let u32 = { (at: Int) in (0..<4).reduce(0) { $0 | Int(head[at + $1]) << (8 * $1) } }
        try file.seek(toOffset: UInt64(64 + 8 * u32(16) + 2 * u32(20) + 4096 + 7))
        file.write(Data([0xA5 ^ Self.bytes[4096 + 7]]))
        try file.close()
        let second = try FSFixture([Self.id: .init(bytes: Self.bytes, contentType: "image/jpeg")], cacheDirectory: directory)
        let handle = try await open(second)
        #expect(second.fs.holdsWhole(handle: handle))
        #expect(second.fs.readWholeCached(handle: handle, offset: 4096, count: 4096) == nil, "declined, never the damaged bytes")
        #expect(try await second.fs.read(handle: handle, offset: 4096, count: 4096) == Array(Self.bytes[4096..<8192]))
        #expect(second.fake.calls == 1, "the ordinary path fetched the block again")
        second.fs.release(handle: handle)
    }
}
