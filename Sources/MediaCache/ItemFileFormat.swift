/// The layout of an item file (cache format 2: `<dir>/v2/<kind>/<id>`, one file per item). Little-endian.
///
///     0   header, 64 bytes (written once, when the file is made; never changed)
///           0 "WXMI"   4 version u16 = 1   6 reserved u16   8 identity u32 = CRC32C("<kind>/<id>")
///           12 block size u32   16 table capacity T u32 (blocks)   20 meta capacity M u32 (bytes)
///           24 nonce u64 (random: a file made anew, e.g. by eviction, is never taken for the one before it)
///           32…59 zero   60 CRC32C(bytes 0..<60) u32
///     64  block table: T entries of 8 bytes, (data length u32, CRC32C(data) u32); length 0: the block is absent
///     64+8T  two meta slots of M bytes each: length u32, generation u32, CRC32C(generation, json) u32, then the JSON
///            `CachedItem` (length 0: none yet). A new meta goes into the slot not holding the current one, with the
///            next generation; readers take the valid slot with the higher generation, so a torn write (kill -9, a
///            full disk) leaves the meta before it.
///     D = 64+8T+2M: block i's data at D + i × block size
///
/// A block is written (data, then its table entry) into the file in place; a block's bytes never change once its
/// entry says they are there, so a reader that checked a block keeps trusting it as long as the file's nonce is
/// the one it checked. Whatever removes blocks (eviction) writes a new file and renames it over the old one.
enum ItemFileFormat {
    static let magic: [UInt8] = Array("WXMI".utf8)
    static let version: UInt16 = 1
    static let headerSize = 64
    static let entrySize = 8
    /// Table capacity of a file made before its item's size is known (a stream without Content-Length): blocks past
    /// it are served but not kept.
    static let unknownSizeTable = 4096
    /// Meta capacity (per slot) of a file made before its meta: room for a long `video_url`.
    static let unknownMetaCapacity = 1024
    /// The most blocks a table holds (64 GiB at 1 MiB): a size past it (a hostile Content-Length) keeps only these.
    static let maxTable = 65_536
    /// The longest meta kept (its JSON): a longer one (a hostile `video_url`) is not written.
    static let maxMeta = 65_536
    static let metaHeaderSize = 12

    /// The identity written in the header of `key`'s file.
    static func identity(_ key: CacheKey) -> UInt32 {
        Array(key.description.utf8).withUnsafeBytes { CRC32C.checksum($0) }
    }

    struct Header: Equatable {
        var identity: UInt32
        var blockSize: Int
        var tableCapacity: Int
        var metaCapacity: Int
        var nonce: UInt64

        var metaOffset: Int { headerSize + tableCapacity * entrySize }
        func slotOffset(_ slot: Int) -> Int { metaOffset + slot * metaCapacity }
        var dataOffset: Int { metaOffset + 2 * metaCapacity }
        func entryOffset(_ block: Int) -> Int { headerSize + block * entrySize }
        func blockOffset(_ block: Int) -> Int { dataOffset + block * blockSize }

        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: headerSize)
            bytes.replaceSubrange(0..<4, with: magic)
            put(version, &bytes, 4)
            put(identity, &bytes, 8)
            put(UInt32(blockSize), &bytes, 12)
            put(UInt32(tableCapacity), &bytes, 16)
            put(UInt32(metaCapacity), &bytes, 20)
            put(nonce, &bytes, 24)
            put(bytes[0..<60].withUnsafeBytes { CRC32C.checksum($0) }, &bytes, 60)
            return bytes
        }

        /// A valid version-1 header, or nil.
        static func parse(_ bytes: UnsafeRawBufferPointer) -> Header? {
            guard bytes.count >= headerSize, claimedVersion(bytes) == version,
                  get(UInt32.self, bytes, 60) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
            else { return nil }
            let header = Header(identity: get(UInt32.self, bytes, 8), blockSize: Int(get(UInt32.self, bytes, 12)),
                                tableCapacity: Int(get(UInt32.self, bytes, 16)), metaCapacity: Int(get(UInt32.self, bytes, 20)),
                                nonce: get(UInt64.self, bytes, 24))
            guard header.blockSize > 0, header.metaCapacity >= metaHeaderSize, header.tableCapacity <= maxTable,
                  header.metaCapacity <= maxMeta * 2 else { return nil }
            return header
        }
    }

    /// The version a file claims (0 when it does not start with the magic).
    static func claimedVersion(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        guard bytes.count >= 6, bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2], bytes[3] == magic[3] else { return 0 }
        return get(UInt16.self, bytes, 4)
    }

    /// A table entry: the block's data length and CRC-32C (length 0: absent).
    struct Entry: Equatable {
        var length: Int
        var checksum: UInt32

        static let absent = Entry(length: 0, checksum: 0)

        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: entrySize)
            put(UInt32(length), &bytes, 0)
            put(checksum, &bytes, 4)
            return bytes
        }

        static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> Entry {
            Entry(length: Int(get(UInt32.self, bytes, offset)), checksum: get(UInt32.self, bytes, offset + 4))
        }
    }

    /// The meta record for `json` at `generation` (nil when it does not fit `capacity`).
    static func metaRecord(_ json: [UInt8], generation: UInt32, capacity: Int) -> [UInt8]? {
        guard json.count + metaHeaderSize <= capacity, json.count <= maxMeta else { return nil }
        var bytes = [UInt8](repeating: 0, count: metaHeaderSize)
        put(UInt32(json.count), &bytes, 0)
        put(generation, &bytes, 4)
        put(metaCRC(generation, json), &bytes, 8)
        return bytes + json
    }

    /// The JSON and generation of a meta slot whose length and checksum hold (nil: none written yet, or torn).
    static func metaJSON(_ record: UnsafeRawBufferPointer) -> (json: [UInt8], generation: UInt32)? {
        guard record.count >= metaHeaderSize else { return nil }
        let length = Int(get(UInt32.self, record, 0)), generation = get(UInt32.self, record, 4)
        guard length > 0, length <= record.count - metaHeaderSize else { return nil }
        let json = Array(record[metaHeaderSize..<(metaHeaderSize + length)])
        guard metaCRC(generation, json) == get(UInt32.self, record, 8) else { return nil }
        return (json, generation)
    }

    private static func metaCRC(_ generation: UInt32, _ json: [UInt8]) -> UInt32 {
        var covered = [UInt8](repeating: 0, count: 4)
        put(generation, &covered, 0)
        return (covered + json).withUnsafeBytes { CRC32C.checksum($0) }
    }

    /// Room for a meta of `length` bytes and its later rewrites (a `video_url` refreshed, `goneAt` added).
    static func metaCapacity(for length: Int) -> Int {
        (max(256, (length + metaHeaderSize) * 3 / 2) + 63) / 64 * 64
    }

    static func put<T: FixedWidthInteger>(_ value: T, _ bytes: inout [UInt8], _ offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (position, byte) in raw.enumerated() { bytes[offset + position] = byte }
        }
    }

    static func get<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
