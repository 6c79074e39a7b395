import Foundation
import Testing
@testable import MediaCache
import Scratch

/// Issue 18, point 9, in cache format 2: an item file is served only as the item its header names, and a block
/// only at the exact length the item's size gives it.
@Suite struct BlockIdentityTests {
    let image = CacheKey(kind: .media, id: "Image_1")
    let voice = CacheKey(kind: .media, id: "Voice_1")

    private func twoItems(_ directory: String) async throws -> DiskDataCache {
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        for (key, byte) in [(image, UInt8(0xFF)), (voice, UInt8(0x23))] {
            try await cache.storeItem(item(size: 4096, blockSize: 4096), for: key)
            try await cache.store(key, block: 0, data: [UInt8](repeating: byte, count: 4096))
        }
        return cache
    }

    /// The image's file copied over the voice's (a valid item file, another item's).
    private func copyImageOverVoice(_ directory: String) throws {
        let stolen = try #require(FileManager.default.contents(atPath: ItemFileOnDisk(directory, image).path))
        try stolen.write(to: URL(fileURLWithPath: ItemFileOnDisk(directory, voice).path))
    }

    @Test func anItemFileCopiedFromAnotherItemIsNeverServed() async throws {
        let directory = Scratch.directory("identity")
        let cache = try await twoItems(directory)
        #expect(try await cache.read(voice, block: 0, range: 0..<4) == [0x23, 0x23, 0x23, 0x23])
        try copyImageOverVoice(directory)
        #expect(try await cache.read(voice, block: 0, range: 0..<16) == nil)
        #expect(cache.statistics().corruptBlocks == 1)
        #expect(!ItemFileOnDisk(directory, voice).exists, "the owner removes a file of ours that names another item")
        #expect(try await cache.read(image, block: 0, range: 0..<4) == [0xFF, 0xFF, 0xFF, 0xFF])
        // Found at a start instead: not taken in (not this item's), the image still reads.
        try copyImageOverVoice(directory)
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(reopened.item(voice) == nil && !reopened.hasBlock(voice, 0))
        #expect(try await reopened.read(image, block: 0, range: 0..<4) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func verifyFindsAMovedFile() async throws {
        let directory = Scratch.directory("identity-verify")
        let cache = try await twoItems(directory)
        try copyImageOverVoice(directory)
        let result = await cache.verifyAll()
        #expect(result.checked == 2 && result.corrupt == 1)
    }

    @Test func aBlockShorterThanItsItemSaysIsAMiss() async throws {
        let directory = Scratch.directory("identity-length")
        _ = try await twoItems(directory)
        // A table entry vouching for 100 bytes (with their right CRC) where the item's size says 4096.
        let file = ItemFileOnDisk(directory, voice)
        try file.patch(64, littleEndian32(100) + littleEndian32(Int(bitwiseCRC32C([UInt8](repeating: 0x23, count: 100)))))
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(try await reopened.read(voice, block: 0, range: 0..<16) == nil)
        #expect(reopened.statistics().corruptBlocks == 1)
    }
}
