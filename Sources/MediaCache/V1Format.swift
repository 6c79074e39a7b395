import Foundation

/// Cache format 1 (`<dir>/v1/<kind>/<id>/meta` and `<index>.blk`), read only to migrate an old cache to format 2
/// (V1Migration.swift). A block file, version 2: a 32-byte little-endian header, then the data. The header says
/// whose block it is (the item's identity and the block's index).
///
///     0  "WXMB"        4  version u16 = 2   6  reserved u16 = 0
///     8  index u64     16 data length u32   20 CRC32C(data) u32
///     24 CRC32C(bytes 0..<24, then 28..<32) u32    28 identity u32 = CRC32C("<kind>/<id>")
///
/// Block version 1 (identity 0, not covered by the header CRC) is not read: such a block is not migrated.
enum V1Format {
    static let magic: [UInt8] = Array("WXMB".utf8)
    static let version: UInt16 = 2
    static let headerSize = 32

    /// The identity in the header of every block of `key`: the same CRC-32C("<kind>/<id>") as format 2's.
    static func identity(_ key: CacheKey) -> UInt32 { ItemFileFormat.identity(key) }

    struct Header: Equatable {
        let index: Int
        let length: Int
        let dataCRC: UInt32
        let identity: UInt32
    }

    /// Parses and checks a header; nil when it is not a valid version-2 header.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= headerSize, Array(bytes[0..<4]) == magic,
              get(UInt16.self, bytes, 4) == version,
              get(UInt32.self, bytes, 24) == headerCRC(bytes)
        else { return nil }
        return Header(index: Int(get(UInt64.self, bytes, 8)), length: Int(get(UInt32.self, bytes, 16)), dataCRC: get(UInt32.self, bytes, 20),
                      identity: get(UInt32.self, bytes, 28))
    }

    /// CRC-32C of the header without its own CRC field (bytes 0..<24 and 28..<32).
    private static func headerCRC(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var covered = Array(bytes[0..<24])
        covered += bytes[28..<32]
        return covered.withUnsafeBytes { CRC32C.checksum($0) }
    }

    private static func get<T: FixedWidthInteger>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        ItemFileFormat.get(type, bytes, offset)
    }
}

extension V1Format {
    enum BlockContent {
        case data([UInt8], checksum: UInt32)
        case absent
        case corrupt
    }

    /// A format-1 block file's data if its header and checksum hold, it is block `index` of the item `identity`
    /// names, `length` bytes long, and the file ends with its data.
    static func readVerifiedBlock(_ path: String, index: Int, identity: UInt32, length expected: Int) throws -> BlockContent {
        guard let fd = try CacheFiles.openForReading(path) else { return .absent }
        defer { close(fd) }
        var status = stat()
        _ = try syscall("stat \(path)") { fstat(fd, &status) }
        var headerBytes = [UInt8](repeating: 0, count: headerSize)
        let got = try headerBytes.withUnsafeMutableBytes { try CacheFiles.readFully(fd, into: $0, at: 0, path) }
        guard got == headerSize, let header = headerBytes.withUnsafeBytes({ parse($0) }),
              header.index == index, header.identity == identity, header.length == expected,
              Int(status.st_size) == headerSize + header.length
        else { return .corrupt }
        let data = try [UInt8](unsafeUninitializedCapacity: header.length) { buffer, initialized in
            initialized = try CacheFiles.readFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: headerSize, path)
        }
        guard data.count == header.length, data.withUnsafeBytes({ CRC32C.checksum($0) }) == header.dataCRC else { return .corrupt }
        return .data(data, checksum: header.dataCRC)
    }

    /// `N.blk` with N in canonical decimal.
    static func blockIndex(_ name: String) -> Int? {
        guard name.hasSuffix(".blk") else { return nil }
        let digits = name.dropLast(4)
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCIIDigit), let index = Int(digits),
              String(index) == digits else { return nil }
        return index
    }
}
