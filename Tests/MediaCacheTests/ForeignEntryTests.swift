import Foundation
import Testing
@testable import MediaCache

/// Whatever is in the cache directory that wxmediafs did not write is skipped, never a crash, never deleted.
@Suite struct ForeignEntryTests {
    @Test func foreignNamesFilesAndLinksAreSkippedAndKept() async throws {
        let directory = temporaryDirectory()
        let media = directory + "/v2/media"
        let key = CacheKey(kind: .media, id: "Good_item")
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
            try await storeWholeItem(cache, key, fetchedAt: Date().timeIntervalSince1970)
        }
        let elsewhere = temporaryDirectory()
        makeFile(elsewhere + "/target", Array("not ours".utf8))
        let foreign = [media + "/bad.name", media + "/.hidden", media + "/has space", media + "/" + String(repeating: "x", count: 129),
                       media + "/é_id", media + "/not an id.tmp-42-7"]
        for path in foreign { makeFile(path) }
        try makeFolder(media + "/Folder_item")                                                // a folder where a file is expected
        makeFile(media + "/Folder_item/0.blk")
        try FileManager.default.createSymbolicLink(atPath: media + "/Linked_item", withDestinationPath: elsewhere + "/target")
        makeFile(directory + "/v2/hd/Their_item", Array("ours by name, not by content".utf8))

        let later = TestClock(Date().timeIntervalSince1970 + 2 * 3600)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, now: later.now, packLimit: 0, logger: silent)
        let strangers = foreign + [media + "/Folder_item/0.blk", media + "/Linked_item", elsewhere + "/target", directory + "/v2/hd/Their_item"]
        for path in strangers { #expect(exists(path), "\(path) is not ours and stays") }
        #expect(cache.knownItems().keys.map(\.id) == [key.id])
        #expect(try await cache.read(key, block: 0, range: 0..<2) == [0, 0])
        try await cache.clear()
        for path in strangers { #expect(exists(path), "\(path) is not ours and stays after a clear") }
        #expect(!exists(media + "/" + key.id))
    }

    @Test func aFileWhereTheKindFolderBelongsIsAnErrorNotACrash() throws {
        let directory = temporaryDirectory()
        try makeFolder(directory + "/v2")
        makeFile(directory + "/v2/media")
        #expect(throws: CacheIOError.self) { try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent) }
        #expect(exists(directory + "/v2/media"))
    }

    @Test func onlyMediaIDsAreKeys() {
        #expect(CacheKey.isMediaID("AbC_123-xyz") && CacheKey.isMediaID(String(repeating: "a", count: 128)))
        for name in ["", ".", "..", "a.b", "a/b", "a b", "é", String(repeating: "a", count: 129), "meta\n"] {
            #expect(!CacheKey.isMediaID(name), "\(name)")
        }
        #expect(ItemFileName("Ab_1") == .item("Ab_1") && ItemFileName("a.b") == .foreign && ItemFileName(".tmp-1-2") == .foreign)
        #expect(ItemFileName("Ab_1.tmp-42-7") == .temporary(pid: 42) && ItemFileName("Ab_1.tmp-42") == .foreign)
        #expect(ItemFileName("a b.tmp-42-7") == .foreign && ItemFileName("Ab_1.tmp-x-7") == .foreign && ItemFileName("Ab_1.tmp-42-7-1") == .foreign)
    }
}
