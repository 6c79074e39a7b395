import Foundation
@testable import MediaCache

/// An item file of cache format 2 read and altered by the test's own reading of the layout (MediaCache.swift:
/// a 64-byte header with the table capacity at 16 and the meta capacity at 20, 8-byte table entries, two meta
/// slots, then the data at fixed offsets), not by the code under test.
struct ItemFileOnDisk {
    let path: String

    init(_ directory: String, _ key: CacheKey) { path = directory + "/v2/\(key.kind.rawValue)/\(key.id)" }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }
    var bytes: [UInt8] { FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }

    func u32(_ at: Int) -> Int {
        let all = bytes
        return (0..<4).reduce(0) { $0 | Int(all[at + $1]) << (8 * $1) }
    }

    var tableCapacity: Int { u32(16) }
    var metaCapacity: Int { u32(20) }
    /// Two meta slots of the meta capacity each, then the data.
    var dataOffset: Int { 64 + 8 * tableCapacity + 2 * metaCapacity }
    func slotOffset(_ slot: Int) -> Int { 64 + 8 * tableCapacity + slot * metaCapacity }
    func blockOffset(_ block: Int, blockSize: Int = 4096) -> Int { dataOffset + block * blockSize }
    func entry(_ block: Int) -> (length: Int, crc: Int) { (u32(64 + 8 * block), u32(68 + 8 * block)) }

    /// Overwrites bytes in place (the inode stays).
    func patch(_ offset: Int, _ replacement: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data(replacement))
        try handle.close()
    }

    func truncate(_ length: Int) { _ = Foundation.truncate(path, off_t(length)) }
}

/// Bit-by-bit CRC-32C (Castagnoli, reflected 0x82F63B78): independent of the sliced C code.
func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var value: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        value ^= UInt32(byte)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
    }
    return ~value
}

func littleEndian32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
