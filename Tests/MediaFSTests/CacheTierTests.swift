import MediaCache
import Testing
@testable import MediaFS

/// The `DataCache` seam with two tiers (`MultilevelDataCache`): what one filesystem fetched, another reads from
/// the shared second tier without an upstream call, filling its own first tier on the way.
@Suite struct CacheTierTests {
    static let id = "Shared_0123456789"
    static let image = FakeDownloader.Item(bytes: pattern(10_000, seed: 5), contentType: "image/jpeg")

    @Test func aSecondTierServesAnotherMountWithoutACallAndFillsItsFirstTier() async throws {
        let shared = MemoryDataCache(blockSize: 4096)
        let localA = MemoryDataCache(blockSize: 4096)
        let first = try FSFixture([Self.id: Self.image], cache: MultilevelDataCache(first: localA, second: shared))
        #expect(try await first.readAll(Self.id + ".jpg") == Self.image.bytes)
        await first.fs.drain()
        #expect(shared.finishes == 1 && localA.finishes == 1, "a stop finishes each tier's writes")
        #expect(first.fake.calls == 1)
        #expect(shared.calls.stores == 3 && localA.calls.stores == 3, "10,000 bytes in 4 KiB blocks: 3 blocks in each tier")

        let localB = MemoryDataCache(blockSize: 4096)
        let second = try FSFixture([Self.id: Self.image], cache: MultilevelDataCache(first: localB, second: shared))
        #expect(try await second.readAll(Self.id + ".jpg") == Self.image.bytes)
        #expect(second.fake.calls == 0, "head and blocks came from the shared tier")
        #expect(localB.item(CacheKey(kind: .media, id: Self.id))?.size == 10_000 && localB.calls.stores == 3, "back-filled")
        let readsBefore = shared.calls.reads
        #expect(try await second.readAll(Self.id + ".jpg") == Self.image.bytes)
        #expect(shared.calls.reads == readsBefore, "a second read is the first tier's")
    }

    @Test func aBlockKeepsTheChecksumItCameWith() async throws {
        let bytes = pattern(4096, seed: 9)
        let expected = bytes.withUnsafeBytes { CRC32CReference.checksum($0) }
        let lower = MemoryDataCache(blockSize: 4096)
        let upper = MemoryDataCache(blockSize: 4096)
        let key = CacheKey(kind: .media, id: "Crc_1")
        try await lower.store(key, 0, CheckedBlock(bytes))
        let tiers = MultilevelDataCache(first: upper, second: lower)
        #expect(try await tiers.bytes(key, 0, range: 10..<20) == Array(bytes[10..<20]))
        #expect(try await upper.block(key, 0)?.checksum == expected, "the CRC-32C of the bytes, by an independent bitwise computation")
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) bit by bit, from its definition: the reference the
/// table-driven one in MediaCache is checked against.
enum CRC32CReference {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0x82F6_3B78 : 0) }
        }
        return ~crc
    }
}
