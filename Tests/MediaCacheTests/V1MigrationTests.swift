import Foundation
import Testing
@testable import MediaCache

/// A cache of format 1 (a folder per item: `meta` and `N.blk`) is moved into format 2 by the owner: what passes its
/// old check reads as before with no fetch, what does not is not carried over, and the old folders go.
@Suite struct V1MigrationTests {
    let image = CacheKey(kind: .media, id: "Image_1")
    let voice = CacheKey(kind: .hd, id: "Voice_1")

    /// A format-1 block file written from that format's layout by hand (MediaCache's V1Format documents it):
    /// "WXMB", version 2, reserved, index u64, length u32, CRC-32C(data), CRC-32C(bytes 0..<24 and 28..<32), identity.
    func v1Block(_ key: CacheKey, _ index: Int, _ data: [UInt8]) -> [UInt8] {
        var header: [UInt8] = Array("WXMB".utf8) + [2, 0, 0, 0] + littleEndian32(index) + [0, 0, 0, 0] + littleEndian32(data.count)
        header += littleEndian32(Int(bitwiseCRC32C(data)))
        let identity = littleEndian32(Int(bitwiseCRC32C(Array(key.description.utf8))))
        header += littleEndian32(Int(bitwiseCRC32C(header + identity))) + identity
        return header + data
    }

    /// A format-1 cache: the image (2 blocks, the second damaged) and the voice (1 block).
    func oldCache() throws -> (directory: String, imageData: [UInt8], voiceData: [UInt8]) {
        let directory = temporaryDirectory()
        let imageData = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7) }, voiceData = [UInt8](repeating: 0x42, count: 3000)
        for (key, data) in [(image, imageData), (voice, voiceData)] {
            let folder = "\(directory)/v1/\(key.kind.rawValue)/\(key.id)"
            try makeFolder(folder)
            makeFile(folder + "/meta", [UInt8](try JSONEncoder().encode(item(size: Int64(data.count), blockSize: 4096))))
            for index in 0..<((data.count + 4095) / 4096) {
                var block = v1Block(key, index, Array(data[(index * 4096)..<min(data.count, (index + 1) * 4096)]))
                if key == image && index == 1 { block[100] ^= 1 }
                makeFile(folder + "/\(index).blk", block)
            }
        }
        return (directory, imageData, voiceData)
    }

    @Test func theOwnerMovesAnOldCacheAtStart() async throws {
        let (directory, imageData, voiceData) = try oldCache()
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(cache.item(image)?.size == 8192 && cache.item(voice)?.size == 3000)
        #expect(try await cache.read(image, block: 0, range: 0..<4096) == Array(imageData[0..<4096]))
        #expect(!cache.hasBlock(image, 1), "a block that fails its old check is not carried over")
        #expect(try await cache.read(voice, block: 0, range: 0..<3000) == voiceData)
        #expect(!exists(directory + "/v1"), "the old folders are gone")
        #expect(ItemFileOnDisk(directory, voice).entry(0) == (3000, Int(bitwiseCRC32C(voiceData))))
    }

    @Test func aGuestLeavesAnOldCacheAlone() throws {
        let (directory, _, _) = try oldCache()
        let guest = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, access: .guest, packLimit: 0, logger: silent)
        #expect(guest.item(image) == nil && exists("\(directory)/v1/media/\(image.id)/0.blk"))
    }

    @Test func anItemAskedForWhileTheScanRunsIsMovedOnTheSpot() async throws {
        let (directory, imageData, _) = try oldCache()
        let gate = DispatchSemaphore(value: 0)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, access: .unshared, mediaLife: CachedItem.mediaLife,
                                      now: { Date().timeIntervalSince1970 }, scanInBackground: true, scanGate: gate, logger: silent)
        #expect(try await cache.read(image, block: 0, range: 0..<16) == Array(imageData[0..<16]))
        #expect(!exists("\(directory)/v1/media/\(image.id)") && exists("\(directory)/v1/hd/\(voice.id)"), "only the item asked for, so far")
        gate.signal()
        cache.waitForScan()
        #expect(cache.item(voice) != nil && !exists(directory + "/v1"))
    }

    @Test func aFolderWithAStrangerOrALiveWriteStaysInFormatOne() throws {
        let (directory, _, _) = try oldCache()
        makeFile("\(directory)/v1/media/\(image.id)/README")
        makeFile("\(directory)/v1/hd/\(voice.id)/0.blk.tmp-\(getpid())-5")  // a live writer (this process)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(cache.item(image) == nil && cache.item(voice) == nil)
        #expect(exists("\(directory)/v1/media/\(image.id)/0.blk") && exists("\(directory)/v1/media/\(image.id)/README"))
        #expect(exists("\(directory)/v1/hd/\(voice.id)/0.blk"))
    }

    @Test func aMetaThatCannotBeReadLeavesTheFolder() throws {
        let (directory, _, _) = try oldCache()
        let meta = "\(directory)/v1/media/\(image.id)/meta"
        unlink(meta)
        try FileManager.default.createSymbolicLink(atPath: meta, withDestinationPath: "meta")  // ELOOP: an I/O error, not "no meta"
        _ = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(exists("\(directory)/v1/media/\(image.id)/0.blk"), "kept for the next start")
        #expect(!exists("\(directory)/v1/hd/\(voice.id)"), "the others moved")
    }
}
