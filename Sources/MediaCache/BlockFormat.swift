/// The bytes of a block file, version 1: a 32-byte little-endian header, then the data.
///
///     0  "WXMB"        4  version u16 = 1   6  reserved u16 = 0
///     8  index u64     16 data length u32   20 CRC32C(data) u32
///     24 CRC32C(bytes 0..<24) u32            28 reserved u32 = 0
enum BlockFormat {
    static let magic: [UInt8] = Array("WXMB".utf8)
    static let version: UInt16 = 1
    static let headerSize = 32

    static func header(index: Int, data: UnsafeRawBufferPointer) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: headerSize)
        header.replaceSubrange(0..<4, with: magic)
        store(version, into: &header, at: 4)
        store(UInt64(index), into: &header, at: 8)
        store(UInt32(data.count), into: &header, at: 16)
        store(CRC32C.checksum(data), into: &header, at: 20)
        let headerCRC = header.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<24])) }
        store(headerCRC, into: &header, at: 24)
        return header
    }

    struct Header: Equatable {
        let index: Int
        let length: Int
        let dataCRC: UInt32
    }

    /// Parses and checks a header; nil when it is not a valid version-1 header.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= headerSize, Array(bytes[0..<4]) == magic,
              load(UInt16.self, bytes, 4) == version,
              load(UInt32.self, bytes, 24) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<24]))
        else { return nil }
        return Header(index: Int(load(UInt64.self, bytes, 8)), length: Int(load(UInt32.self, bytes, 16)), dataCRC: load(UInt32.self, bytes, 20))
    }

    private static func store<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (position, byte) in raw.enumerated() { bytes[offset + position] = byte }
        }
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
