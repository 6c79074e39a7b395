import Foundation
import MediaCache
import Testing
import WeChatAPI
@testable import MediaFS

/// `ls media/` never lists a name whose read must fail: past the 3-day media life only complete items remain.
@Suite struct ListingTests {
    @Test func pastTheMediaLifeOnlyCompleteItemsAreListed() async throws {
        let video = FakeDownloader.Item(bytes: pattern(40_000), contentType: "video/mp4", video: true)
        let image = FakeDownloader.Item(bytes: pattern(9_000), contentType: "image/jpeg")
        let fixture = try FSFixture(["Video_1": video, "Image_1": image], rangeSupport: true)
        #expect(try await fixture.readAll("Image_1") == pattern(9_000))
        let attributes = try await fixture.fs.lookup(parent: Inode.media, name: "Video_1")
        let opened = try await fixture.fs.open(attributes.inode, flags: O_RDONLY)
        #expect(try await fixture.fs.read(handle: opened.handle, offset: 0, count: 100) == Array(pattern(40_000)[0..<100]))
        fixture.fs.release(handle: opened.handle)
        await fixture.fs.drain()  // the listing counts blocks on disk; they are written beside the stream
        func listed() async throws -> Set<String> {
            Set(try await fixture.fs.readdir(Inode.media).map(\.name).filter { $0 != "." && $0 != ".." })
        }
        #expect(try await listed() == ["Image_1.jpg", "Video_1.mp4"], "young items are listed, complete or not")
        fixture.clock.advance(by: CachedItem.mediaLife + 60)
        #expect(try await listed() == ["Image_1.jpg"], "a partial item past its life cannot be read whole: not listed")
    }
}
