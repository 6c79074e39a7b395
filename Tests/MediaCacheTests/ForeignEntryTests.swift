import Foundation
import Testing
@testable import MediaCache

/// Whatever is in the cache directory that wxmediafs did not write is skipped, never a crash, never deleted.
@Suite struct ForeignEntryTests {
    @Test func foreignNamesFilesAndLinksAreSkippedAndKept() async throws {
        let directory = temporaryDirectory()
        let media = directory + "/v1/media"
        let key = CacheKey(kind: .media, id: "Good_item")
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
            try await storeWholeItem(cache, key, fetchedAt: Date().timeIntervalSince1970)
        }
        let elsewhere = temporaryDirectory()
        makeFile(elsewhere + "/0.blk")
        makeFile(elsewhere + "/meta", Array("not json".utf8))
        let foreign = [
            media + "/bad.name", media + "/.hidden", media + "/has space", media + "/" + String(repeating: "x", count: 129),
            media + "/é_id",
        ]
        for folder in foreign {
            try makeFolder(folder)
            makeFile(folder + "/0.blk")
        }
        makeFile(media + "/Plain_file")                                                   // a file where a folder is expected
        try FileManager.default.createSymbolicLink(atPath: media + "/Linked_item", withDestinationPath: elsewhere)
        let unreadableMeta = directory + "/v1/hd/Their_item"                               // ours by name, not by content
        try makeFolder(unreadableMeta + "/meta")
        makeFile(unreadableMeta + "/notes.txt")
        makeFile(directory + "/v1/media/\(key.id)/README")                                 // a stranger inside an item

        let later = TestClock(Date().timeIntervalSince1970 + 2 * 3600)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, now: later.now, logger: silent)
        for path in foreign + [media + "/Plain_file", media + "/Linked_item", elsewhere + "/0.blk", elsewhere + "/meta",
                               unreadableMeta + "/notes.txt", directory + "/v1/media/\(key.id)/README"] {
            #expect(exists(path), "\(path) is not ours and stays")
        }
        #expect(cache.knownItems().keys.map(\.id) == [key.id])
        #expect(try await cache.read(key, block: 0, range: 0..<2) == [0, 0])
        try await cache.clear()
        #expect(exists(media + "/bad.name/0.blk") && exists(media + "/Plain_file") && exists(elsewhere + "/0.blk"))
        #expect(exists(directory + "/v1/media/\(key.id)/README") && !exists(directory + "/v1/media/\(key.id)/0.blk"))
    }

    @Test func aFileWhereTheKindFolderBelongsIsAnErrorNotACrash() throws {
        let directory = temporaryDirectory()
        try makeFolder(directory + "/v1")
        makeFile(directory + "/v1/media")
        #expect(throws: CacheIOError.self) { try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent) }
        #expect(exists(directory + "/v1/media"))
    }

    @Test func onlyMediaIDsAreKeys() {
        #expect(CacheKey.isMediaID("AbC_123-xyz") && CacheKey.isMediaID(String(repeating: "a", count: 128)))
        for name in ["", ".", "..", "a.b", "a/b", "a b", "é", String(repeating: "a", count: 129), "meta\n"] {
            #expect(!CacheKey.isMediaID(name), "\(name)")
        }
        #expect(ItemFileName("12.blk") == .block(12))
        #expect(ItemFileName("012.blk") == .foreign && ItemFileName("+1.blk") == .foreign && ItemFileName(".blk") == .foreign)
        #expect(ItemFileName("3.blk.tmp-42-7") == .temporary(pid: 42) && ItemFileName("meta.tmp-42-7") == .temporary(pid: 42))
        #expect(ItemFileName("notes.tmp-42-7") == .foreign && ItemFileName("3.blk.tmp-x-7") == .foreign)
    }
}
