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
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
            try await cache.storeItem(item(size: 10_000, blockSize: 4096), for: key)
            for block in 0..<3 {
                try await cache.store(key, block: block, data: Array(data[(block * 4096)..<min(10_000, (block + 1) * 4096)]))
            }
        }
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(reopened.item(key)?.size == 10_000)
        #expect(reopened.hasBlock(key, 2))
        #expect(try await reopened.read(key, block: 1, range: 100..<200) == Array(data[4196..<4296]))  // first read verifies
        #expect(try await reopened.read(key, block: 1, range: 0..<4096) == Array(data[4096..<8192]))  // then slices
        #expect(try await reopened.read(key, block: 2, range: 0..<1808) == Array(data[8192..<10_000]))
        #expect(reopened.statistics().bytes == 10_000)
    }

    @Test func aCorruptBlockIsAMissAndIsStruckFromTheTable() async throws {
        let directory = temporaryDirectory()
        try await storeOneBlock(in: directory)
        let file = ItemFileOnDisk(directory, key)
        #expect(file.entry(0).length == 4096 && file.entry(0).crc == Int(bitwiseCRC32C([UInt8](repeating: 7, count: 4096))))
        try file.patch(file.blockOffset(0) + 2000, [8])
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(try await reopened.read(key, block: 0, range: 0..<10) == nil)
        #expect(!reopened.hasBlock(key, 0))
        #expect(file.exists && file.entry(0).length == 0, "the file stays (its meta); its table no longer vouches for the block")
        #expect(reopened.statistics().corruptBlocks == 1)
        let again = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(!again.hasBlock(key, 0), "struck for every process, and across a restart")
    }

    @Test func verifyFindsAndDropsCorruptBlocks() async throws {
        let directory = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        try await cache.storeItem(item(size: 8192, blockSize: 4096), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 1, count: 4096))
        try await cache.store(key, block: 1, data: [UInt8](repeating: 2, count: 4096))
        let file = ItemFileOnDisk(directory, key)
        try file.patch(file.blockOffset(1) + 100, [9])
        let result = await cache.verifyAll()
        #expect(result.checked == 2 && result.corrupt == 1 && result.unreadable == 0)
        #expect(cache.hasBlock(key, 0) && !cache.hasBlock(key, 1))
    }

    @Test func aTruncatedBlockIsAMiss() async throws {
        let directory = temporaryDirectory()
        try await storeOneBlock(in: directory)
        let file = ItemFileOnDisk(directory, key)
        file.truncate(file.blockOffset(0) + 1000)
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(try await reopened.read(key, block: 0, range: 0..<10) == nil)
    }

    /// A file made anew under a reader that checked the old one (another process replaced it) is checked again,
    /// never read on trust: here the new file's block is damaged, and the reader must see a miss, not its bytes.
    @Test func aFileMadeAnewIsCheckedAgainNotTrusted() async throws {
        let directory = temporaryDirectory(), elsewhere = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        try await cache.storeItem(item(size: 4096, blockSize: 4096), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 7, count: 4096))
        #expect(try await cache.read(key, block: 0, range: 0..<4) == [7, 7, 7, 7])  // checked: read by slice from now on
        var other = item(size: 4096, blockSize: 4096)
        other.filename = String(repeating: "x", count: 900)  // another meta capacity: the data sits elsewhere
        try await storeOneBlock(in: elsewhere, item: other, byte: 7)
        let replacement = ItemFileOnDisk(elsewhere, key)
        try replacement.patch(replacement.blockOffset(0) + 1, [0x66])
        #expect(rename(replacement.path, ItemFileOnDisk(directory, key).path) == 0)
        #expect(try await cache.read(key, block: 0, range: 0..<4) == nil)
        #expect(cache.statistics().corruptBlocks == 1)
    }

    @Test func wholeAndPartialReadsAfterAReopenAreTheStoredBytes() async throws {
        let directory = temporaryDirectory()
        let data = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        do {
            let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
            try await cache.storeItem(item(size: 8192, blockSize: 4096), for: key)
            try await cache.store(key, block: 0, data: data)
            try await cache.store(key, block: 1, data: Array(data.reversed()))
        }
        let reopened = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
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

    @Test func theItemFileFormatIsPinned() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let random = (0..<100_003).map { _ in UInt8.random(in: 0...255) }
        #expect(CRC32C.checksum(random) == random.withUnsafeBytes { wx_crc32c_portable(0, $0.baseAddress, $0.count) })
        // Expected bytes from the layout in MediaCache.swift and a bit-by-bit CRC-32C (not the code under test).
        let key = CacheKey(kind: .media, id: "Abc_1")
        let header = ItemFileFormat.Header(identity: ItemFileFormat.identity(key), blockSize: 4096, tableCapacity: 2, metaCapacity: 512,
                                           nonce: 0x0102_0304_0506_0708)
        var expected: [UInt8] = Array("WXMI".utf8) + [1, 0, 0, 0]            // magic, version 1, reserved
        expected += [0x10, 0xFE, 0x7C, 0x94]                                 // identity: CRC-32C("media/Abc_1") = 0x947CFE10
        expected += littleEndian32(4096) + littleEndian32(2) + littleEndian32(512)
        expected += [8, 7, 6, 5, 4, 3, 2, 1] + [UInt8](repeating: 0, count: 28)
        expected += littleEndian32(Int(bitwiseCRC32C(expected)))
        #expect(bitwiseCRC32C(Array("media/Abc_1".utf8)) == 0x947C_FE10)
        #expect(header.encoded() == expected)
        #expect(header.dataOffset == 64 + 2 * 8 + 2 * 512 && header.blockOffset(1) == 1104 + 4096)
        #expect(expected.withUnsafeBytes { ItemFileFormat.Header.parse($0) } == header)
        var damaged = expected
        damaged[17] = 3
        #expect(damaged.withUnsafeBytes { ItemFileFormat.Header.parse($0) } == nil)
        let entry = ItemFileFormat.Entry(length: 3, checksum: 0x364B_3FB7).encoded()  // CRC-32C("abc")
        #expect(entry == [3, 0, 0, 0, 0xB7, 0x3F, 0x4B, 0x36])
        let json = Array("{\"a\":1}".utf8)
        let record = ItemFileFormat.metaRecord(json, generation: 3, capacity: 64)
        #expect(record == littleEndian32(json.count) + littleEndian32(3) + littleEndian32(Int(bitwiseCRC32C(littleEndian32(3) + json))) + json)
        #expect(record.map { $0.withUnsafeBytes { ItemFileFormat.metaJSON($0) } }??.json == json)
        #expect(ItemFileFormat.metaRecord(json, generation: 1, capacity: json.count + 11) == nil)
        var torn = record ?? []
        torn[13] ^= 1
        #expect(torn.withUnsafeBytes { ItemFileFormat.metaJSON($0) } == nil)
    }

    @Test func evictionIsLRUAndSparesPinnedItems() async throws {
        let cache = try DiskDataCache(directory: temporaryDirectory(), budget: 3 * 4096, blockSize: 4096, packLimit: 0, logger: silent)
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
        let cache = try DiskDataCache(directory: directory + "/c", budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        try await cache.storeItem(item(size: 10, blockSize: 4096), for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: 1, count: 10))
        let kindFolder = directory + "/c/v2/media"
        func mode(_ path: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }
        #expect(try mode(directory + "/c") == 0o700)
        #expect(try mode(kindFolder) == 0o700)
        #expect(try mode(kindFolder + "/\(key.id)") == 0o600)
        // A temporary whose writer (the pid in its name) is dead; pid 999999999 is above any pid_max.
        _ = FileManager.default.createFile(atPath: kindFolder + "/\(key.id).tmp-999999999-2", contents: Data([1, 2, 3]))
        _ = try DiskDataCache(directory: directory + "/c", budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        #expect(!FileManager.default.fileExists(atPath: kindFolder + "/\(key.id).tmp-999999999-2"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: kindFolder) == [key.id])
    }

    /// A cache in `directory` holding one 4 KiB item whose one block is all `byte`, closed again.
    private func storeOneBlock(in directory: String, item stored: CachedItem = item(size: 4096, blockSize: 4096), byte: UInt8 = 7) async throws {
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, packLimit: 0, logger: silent)
        try await cache.storeItem(stored, for: key)
        try await cache.store(key, block: 0, data: [UInt8](repeating: byte, count: 4096))
    }
}
