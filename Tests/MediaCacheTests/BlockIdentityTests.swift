import Foundation
import Testing
@testable import MediaCache
import Scratch

/// Issue 18, point 9: a block file is served only as the block of the item and index its header names, and only
/// at the exact length the item's size gives it; a block of an older format is dropped, never misread.
@Suite struct BlockIdentityTests {
    let image = CacheKey(kind: .media, id: "Image_1")
    let voice = CacheKey(kind: .media, id: "Voice_1")

    private func twoItems(_ directory: String) async throws {
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        for (key, byte) in [(image, UInt8(0xFF)), (voice, UInt8(0x23))] {
            try await cache.storeItem(item(size: 4096, blockSize: 4096), for: key)
            try await cache.store(key, block: 0, data: [UInt8](repeating: byte, count: 4096))
        }
    }

    private func blockPath(_ directory: String, _ key: CacheKey, _ block: Int) -> String {
        directory + "/v1/media/\(key.id)/\(block).blk"
    }

    /// A cache of both items where the image's block 0 was copied over the voice's (a valid block, another item's).
    private func imageBlockCopiedOverVoice(_ name: String) async throws -> String {
        let directory = Scratch.directory(name)
        try await twoItems(directory)
        let stolen = try #require(FileManager.default.contents(atPath: blockPath(directory, image, 0)))
        try stolen.write(to: URL(fileURLWithPath: blockPath(directory, voice, 0)))
        return directory
    }

    @Test func aBlockCopiedFromAnotherItemIsNeverServed() async throws {
        let directory = try await imageBlockCopiedOverVoice("identity")
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await reopened.read(voice, block: 0, range: 0..<16) == nil)
        #expect(reopened.statistics().corruptBlocks == 1)
        #expect(try await reopened.read(image, block: 0, range: 0..<4) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func verifyFindsAMovedBlock() async throws {
        let directory = try await imageBlockCopiedOverVoice("identity-verify")
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        let result = await reopened.verifyAll()
        #expect(result.checked == 2 && result.corrupt == 1)
    }

    @Test func aBlockShorterThanItsItemSaysIsAMiss() async throws {
        let directory = Scratch.directory("identity-length")
        try await twoItems(directory)
        // A well-formed block of the right item and index, but 100 bytes where the item's size says 4096.
        let short = [UInt8](repeating: 0x23, count: 100)
        let header = short.withUnsafeBytes { BlockFormat.header(key: voice, index: 0, data: $0) }
        try Data(header + short).write(to: URL(fileURLWithPath: blockPath(directory, voice, 0)))
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await reopened.read(voice, block: 0, range: 0..<16) == nil)
        #expect(reopened.statistics().corruptBlocks == 1)
    }

    @Test func aVersionOneBlockIsDroppedNotMisread() async throws {
        let directory = Scratch.directory("identity-v1")
        try await twoItems(directory)
        // Version 1's layout, written out by hand: magic, version 1, index 0, length, CRC-32C of the data, then
        // the CRC-32C of bytes 0..<24 (Python's bit-by-bit CRC gave both for 4096 bytes of 0x23).
        let data = [UInt8](repeating: 0x23, count: 4096)
        var header: [UInt8] = Array("WXMB".utf8) + [1, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0] + [0x00, 0x10, 0, 0]
        header += withUnsafeBytes(of: crc(data).littleEndian, Array.init)
        header += withUnsafeBytes(of: crc(header).littleEndian, Array.init)
        header += [0, 0, 0, 0]
        let path = blockPath(directory, voice, 0)
        try Data(header + data).write(to: URL(fileURLWithPath: path))
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await reopened.read(voice, block: 0, range: 0..<16) == nil)
        #expect(reopened.statistics().corruptBlocks == 0, "an old format is not corruption")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!reopened.hasBlock(voice, 0))
    }

    /// Bit-by-bit CRC-32C (Castagnoli, reflected 0x82F63B78): independent of the sliced C code.
    private func crc(_ bytes: [UInt8]) -> UInt32 {
        var value: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            value ^= UInt32(byte)
            for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
        }
        return ~value
    }
}
