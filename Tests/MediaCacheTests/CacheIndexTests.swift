import Testing
@testable import MediaCache

/// The packed index gives back exactly what was stored, whatever its shape.
@Suite struct CacheIndexTests {
    let key = CacheKey(kind: .media, id: "Abc-123_xyz")

    func made(filename: String?, contentType: String? = "video/mp4", ext: String = "mp4", videoURL: String? = nil,
              goneAt: Double? = nil, range: Bool = false) -> CachedItem {
        CachedItem(size: 3_000_001, contentType: contentType, filename: filename, fileExtension: ext, rangeSupported: range,
                   videoURL: videoURL, fetchedAt: 1_786_000_123.25, blockSize: 1 << 20, goneAt: goneAt)
    }

    @Test(arguments: [
        "usual filename", "no filename", "another filename", "video_url and goneAt", "no content type", "range",
    ])
    func itemsComeBackAsStored(shape: String) {
        let item: CachedItem = switch shape {
        case "usual filename": made(filename: "Abc-123_xyz.mp4")
        case "no filename": made(filename: nil)
        case "another filename": made(filename: "holiday clip.mp4")
        case "video_url and goneAt": made(filename: nil, videoURL: "https://cdn.example/v?sig=1", goneAt: 1_786_100_000)
        case "no content type": made(filename: "Abc-123_xyz.bin", contentType: nil, ext: "bin")
        default: made(filename: "Abc-123_xyz.mp4", range: true)
        }
        var index = CacheIndex()
        index.addBlock(key, index: 2, length: 100, verified: false)
        index.store(item, key: key)
        #expect(index.item(key) == item)
        #expect(index.entries[key]?.blocks[2] == 100)  // storing the item keeps the blocks
        // Storing a plainer version drops the rare parts.
        let plain = made(filename: nil)
        index.store(plain, key: key)
        #expect(index.item(key) == plain)
        #expect(index.extras.isEmpty)
    }

    @Test func contentTypesPastTheInternerRoomAreKeptWhole() {
        var index = CacheIndex()
        index.strings = StringInterner(capacity: 2)
        let keys = (0..<5).map { CacheKey(kind: .media, id: "id\($0)") }
        let items = (0..<5).map { made(filename: nil, contentType: "type/\($0)", ext: "e\($0)") }
        for (key, item) in zip(keys, items) { index.store(item, key: key) }
        for (key, item) in zip(keys, items) { #expect(index.item(key) == item) }
    }

    @Test func blockMapKeepsEveryBlockAndItsCheck() {
        var blocks = BlockMap()
        #expect(blocks.isEmpty)
        blocks.set(7, length: 10, verified: true)
        blocks.set(3, length: 20, verified: false)
        blocks.set(9, length: 30, verified: true)
        #expect(blocks.count == 3)
        #expect(Set(blocks.indices) == [3, 7, 9])
        #expect(blocks[7] == 10 && blocks.isVerified(7))
        #expect(blocks[3] == 20 && !blocks.isVerified(3))
        blocks.markVerified(3, true)
        #expect(blocks.isVerified(3) && blocks[3] == 20)
        #expect(blocks.remove(7) == 10)  // the inline one: another takes its place
        #expect(!blocks.isEmpty && blocks.count == 2 && blocks[7] == nil)
        #expect(blocks[3] == 20 && blocks.isVerified(3) && blocks[9] == 30)
        #expect(blocks.remove(3) == 20 && blocks.remove(9) == 30 && blocks.remove(9) == nil)
        #expect(blocks.isEmpty && blocks.count == 0)
    }
}
