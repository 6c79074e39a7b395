import Foundation
import Logging
import Testing
import CChecksum
@testable import MediaCache
import Scratch

func temporaryDirectory() -> String {
    Scratch.directory("cache-test")
}

let silent = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

func item(size: Int64, blockSize: Int) -> CachedItem {
    CachedItem(size: size, contentType: "image/jpeg", filename: "x.jpg", fileExtension: "jpg", rangeSupported: false,
               videoURL: nil, fetchedAt: 1_786_000_000, blockSize: blockSize)
}

@Suite struct DiskDataCacheTests {
    let key = CacheKey(kind: .media, id: "AbC_123-xyz")

    @Test func blocksSurviveAReopenAndAreReadBySlice() async throws {
        let directory = temporaryDirectory()
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
            try await cache.storeItem(item(size: 10_000, blockSize: 4096), for: key)
            for block in 0..<3 {
                try await cache.store(key, block: block, data: Array(data[(block * 4096)..<min(10_000, (block + 1) * 4096)]))
            }
        }
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(reopened.item(key)?.size == 10_000)
        #expect(reopened.hasBlock(key, 2))
        #expect(try await reopened.read(key, block: 1, range: 100..<200) == Array(data[4196..<4296]))  // first read verifies
        #expect(try await reopened.read(key, block: 1, range: 0..<4096) == Array(data[4096..<8192]))  // then slices
        #expect(try await reopened.read(key, block: 2, range: 0..<1808) == Array(data[8192..<10_000]))
        #expect(reopened.statistics().bytes == 10_000)
    }

    @Test func aCorruptBlockIsAMissAndIsRemoved() async throws {
        let directory = temporaryDirectory()
        try await storeOneBlock(in: directory)
        let path = directory + "/v1/media/\(key.id)/0.blk"
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 2000)
        handle.write(Data([8]))
        try handle.close()
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await reopened.read(key, block: 0, range: 0..<10) == nil)
        #expect(!reopened.hasBlock(key, 0))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(reopened.statistics().corruptBlocks == 1)
    }

    @Test func verifyFindsAndDropsCorruptBlocks() async throws {
        let directory = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        try await cache.storeItem(item(size: 8192, blockSize: 4096), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 1, count: 4096))
        try await cache.store(key, block: 1, data: [UInt8](repeating: 2, count: 4096))
        let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/v1/media/\(key.id)/1.blk"))
        try handle.seek(toOffset: 100)
        handle.write(Data([9]))
        try handle.close()
        let result = await cache.verifyAll()
        #expect(result.checked == 2 && result.corrupt == 1 && result.unreadable == 0)
        #expect(cache.hasBlock(key, 0) && !cache.hasBlock(key, 1))
    }

    @Test func aTruncatedBlockIsAMiss() async throws {
        let directory = temporaryDirectory()
        try await storeOneBlock(in: directory)
        truncate(directory + "/v1/media/\(key.id)/0.blk", 1000)
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await reopened.read(key, block: 0, range: 0..<10) == nil)
    }

    @Test func aBlockWithBytesAfterItsDataIsAMiss() async throws {
        let directory = temporaryDirectory()
        try await storeOneBlock(in: directory)
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(reopened.hasBlock(key, 0))  // known from the scan, not read yet
        let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/v1/media/\(key.id)/0.blk"))
        try handle.seekToEnd()
        handle.write(Data([7, 7, 7]))
        try handle.close()
        #expect(try await reopened.read(key, block: 0, range: 0..<10) == nil)
        #expect(reopened.statistics().corruptBlocks == 1 && !reopened.hasBlock(key, 0))
    }

    @Test func wholeAndPartialReadsAfterAReopenAreTheStoredBytes() async throws {
        let directory = temporaryDirectory()
        let data = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
            try await cache.storeItem(item(size: 8192, blockSize: 4096), for: key)
            try await cache.store(key, block: 0, data: data)
            try await cache.store(key, block: 1, data: Array(data.reversed()))
        }
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(try await reopened.read(key, block: 0, range: 0..<4096) == data)      // first read: verified whole
        #expect(try await reopened.read(key, block: 0, range: 100..<300) == Array(data[100..<300]))  // then a slice
        #expect(try await reopened.read(key, block: 1, range: 4000..<4096) == Array(data.reversed()[4000..<4096]))
        #expect(try await reopened.read(key, block: 1, range: 0..<4096) == Array(data.reversed()))
    }

    /// The hardware CRC runs three chains over runs of 8,192 and then 256 bytes and joins them: lengths at and
    /// around those runs' edges, at every alignment, must give what the byte-at-a-time table gives, and the
    /// iSCSI test vectors of RFC 3720 (B.4) must come out. (On a CPU without SSE4.2 both sides are the table.)
    @Test func theThreeChainCRCMatchesTheTableAtEveryEdge() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // xorshift64, seeded: a failure is the same on every run
        let bytes = (0..<(3 * 8192 * 2 + 3 * 256 + 40)).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        }
        let edges = [0, 1, 7, 8, 9, 3 * 256 - 1, 3 * 256, 3 * 256 + 9, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 3 * 256 + 7,
                     2 * 3 * 8192, bytes.count - 8]
        bytes.withUnsafeBytes { all in
            for offset in 0..<8 {
                for length in edges {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    let table = wx_crc32c_portable(0, slice.baseAddress, length)
                    #expect(CRC32C.checksum(slice) == table, "offset \(offset), length \(length)")
                    let cut = length / 3  // continued from a seed, as a block is checked in pieces
                    let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[0..<cut]))
                    #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[cut...]), seed: first) == table)
                }
            }
        }
    }

    @Test func theBlockFormatIsPinned() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let random = (0..<100_003).map { _ in UInt8.random(in: 0...255) }
        #expect(CRC32C.checksum(random) == random.withUnsafeBytes { wx_crc32c_portable(0, $0.baseAddress, $0.count) })
        // Expected bytes from the layout and a bit-by-bit CRC-32C in Python (not the code under test).
        let key = CacheKey(kind: .media, id: "Abc_1")
        let header = [UInt8]("abc".utf8).withUnsafeBytes { BlockFormat.header(key: key, index: 5, data: $0) }
        let expected: [UInt8] = [
            0x57, 0x58, 0x4D, 0x42, 0x02, 0x00, 0x00, 0x00,  // "WXMB", version 2, reserved
            0x05, 0, 0, 0, 0, 0, 0, 0,                       // index 5
            0x03, 0, 0, 0,                                   // length 3
            0xB7, 0x3F, 0x4B, 0x36,                          // CRC-32C("abc") = 0x364B3FB7
            0x5E, 0x2C, 0x3C, 0xC8,                          // CRC-32C of bytes 0..<24 and 28..<32 = 0xC83C2C5E
            0x10, 0xFE, 0x7C, 0x94,                          // identity: CRC-32C("media/Abc_1") = 0x947CFE10
        ]
        #expect(header == expected)
        #expect(header.withUnsafeBytes { BlockFormat.parse($0) }
            == BlockFormat.Header(index: 5, length: 3, dataCRC: 0x364B_3FB7, identity: 0x947C_FE10))
        var damaged = header
        damaged[9] = 1
        #expect(damaged.withUnsafeBytes { BlockFormat.parse($0) } == nil)
    }

    @Test func evictionIsLRUAndSparesPinnedItems() async throws {
        let cache = try DiskDataCache(directory: temporaryDirectory(), budget: 3 * 4096, blockSize: 4096, logger: silent)
        let keys = (0..<3).map { CacheKey(kind: .media, id: "item\($0)") }
        let block = [UInt8](repeating: 1, count: 4096)
        for key in keys {
            try await cache.storeItem(item(size: 8192, blockSize: 4096), for: key)
        }
        cache.pin(keys[0])
        try await cache.store(keys[0], block: 0, data: block)
        try await cache.store(keys[1], block: 0, data: block)
        try await cache.store(keys[2], block: 0, data: block)
        try await cache.store(keys[2], block: 1, data: block)  // over budget: item1 is the oldest unpinned
        #expect(cache.hasBlock(keys[0], 0))
        #expect(!cache.hasBlock(keys[1], 0))
        #expect(cache.hasBlock(keys[2], 1))
        #expect(cache.statistics().bytes <= 3 * 4096)
        #expect(cache.statistics().evictedBlocks == 1)
    }

    @Test func permissionsAreOwnerOnlyAndLeftoversAreCleaned() async throws {
        let directory = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory + "/c", budget: 1 << 20, blockSize: 4096, logger: silent)
        try await cache.storeItem(item(size: 10, blockSize: 4096), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 1, count: 10))
        let itemFolder = directory + "/c/v1/media/\(key.id)"
        func mode(_ path: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }
        #expect(try mode(directory + "/c") == 0o700)
        #expect(try mode(itemFolder) == 0o700)
        #expect(try mode(itemFolder + "/0.blk") == 0o600)
        #expect(try mode(itemFolder + "/meta") == 0o600)
        // A temporary whose writer (the pid in its name) is dead; pid 999999999 is above any pid_max.
        _ = FileManager.default.createFile(atPath: itemFolder + "/1.blk.tmp-999999999-2", contents: Data([1, 2, 3]))
        _ = try DiskDataCache(directory: directory + "/c", budget: 1 << 20, blockSize: 4096, logger: silent)
        #expect(!FileManager.default.fileExists(atPath: itemFolder + "/1.blk.tmp-999999999-2"))
    }

    /// A cache in `directory` holding one 4 KiB item whose one block is all 7s, closed again.
    private func storeOneBlock(in directory: String) async throws {
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        try await cache.storeItem(item(size: 4096, blockSize: 4096), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 7, count: 4096))
    }
}
