/// The layout of a pack (cache format 2, `<dir>/v2/packs/<n>.pack`): small whole items, several to a file, so an
/// item of a few KiB costs its bytes on disk and not a file of its own rounded up to the file system's blocks.
/// Little-endian.
///
///     0   header, 64 bytes: "WXMP", version u16 = 1, reserved u16, nonce u64 (random per pack), zeros,
///         CRC32C(bytes 0..<60) at 60
///     64  records, each at a multiple of 16:
///           0 "WXMR"   4 version u8 = 1   5 kind u8   6 id length u8   7 zero
///           8 data length u32   12 meta length u32   16 CRC32C(data) u32   20 CRC32C(meta) u32   24 zero u32
///           28 CRC32C(pack nonce u64, record offset u64, bytes 0..<28, id) u32
///           32 the id, then the item's bytes (block 0, the whole item), then its meta (JSON `CachedItem`), then
///              zeros to the next multiple of 16. Data length 0: the meta alone (an item whose bytes were evicted).
///
/// Only the cache's owner writes packs, and only by appending (to a pack of its own, made at its first write), so
/// a record's bytes never change once written. A record that goes (evicted, replaced by a newer meta, expired) is
/// punched out of the file (it reads as zeros and its disk blocks are freed); a pack with no record left goes.
/// A scan steps over zeros 16 bytes at a time and stops at anything else that is not a valid record: the header's
/// checksum covers the pack's random nonce and the record's own offset, so bytes a server sent (an item's data,
/// read past a torn header) never pass for a record, and a record copied elsewhere is not valid there.
enum PackFormat {
    static let magic: [UInt8] = Array("WXMP".utf8)
    static let recordMagic: [UInt8] = Array("WXMR".utf8)
    static let version: UInt16 = 1
    static let recordVersion: UInt8 = 1
    static let headerSize = 64
    static let recordHeaderSize = 32
    static let alignment = 16
    /// Items up to this size go into packs (one block); larger ones keep a file of their own, where rounding to the
    /// file system's blocks costs little.
    static let itemLimit = 128 * 1024
    /// A pack takes no new record past this size: the owner starts the next one.
    static let packLimit = 64 << 20

    static func aligned(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }

    static func kindCode(_ kind: CacheKey.Kind) -> UInt8 {
        switch kind {
        case .media: 1
        case .hd: 2
        case .hdWAV: 3
        }
    }

    static func kind(_ code: UInt8) -> CacheKey.Kind? {
        switch code {
        case 1: .media
        case 2: .hd
        case 3: .hdWAV
        default: nil
        }
    }

    static func packHeader(nonce: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        bytes.replaceSubrange(0..<4, with: magic)
        ItemFileFormat.put(version, &bytes, 4)
        ItemFileFormat.put(nonce, &bytes, 8)
        ItemFileFormat.put(bytes[0..<60].withUnsafeBytes { CRC32C.checksum($0) }, &bytes, 60)
        return bytes
    }

    /// The nonce of a valid pack header, or nil.
    static func packNonce(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= headerSize, Array(bytes[0..<4]) == magic, ItemFileFormat.get(UInt16.self, bytes, 4) == version,
              ItemFileFormat.get(UInt32.self, bytes, 60) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        else { return nil }
        return ItemFileFormat.get(UInt64.self, bytes, 8)
    }

    /// A record's header as read.
    struct Record: Equatable {
        var key: CacheKey
        var dataLength: Int
        var metaLength: Int
        var dataChecksum: UInt32
        var metaChecksum: UInt32

        /// Bytes from the record's start to its data, and to its end (aligned).
        var dataOffset: Int { recordHeaderSize + key.id.utf8.count }
        var length: Int { aligned(dataOffset + dataLength + metaLength) }
    }

    /// The record for `key` holding `data` and `meta`, to be written at `offset` of the pack with `nonce`.
    static func record(_ key: CacheKey, data: [UInt8], meta: [UInt8], nonce: UInt64, offset: Int) -> [UInt8] {
        let id = Array(key.id.utf8)
        var bytes = [UInt8](repeating: 0, count: recordHeaderSize)
        bytes.replaceSubrange(0..<4, with: recordMagic)
        bytes[4] = recordVersion
        bytes[5] = kindCode(key.kind)
        bytes[6] = UInt8(id.count)
        ItemFileFormat.put(UInt32(data.count), &bytes, 8)
        ItemFileFormat.put(UInt32(meta.count), &bytes, 12)
        ItemFileFormat.put(CRC32C.checksum(data), &bytes, 16)
        ItemFileFormat.put(CRC32C.checksum(meta), &bytes, 20)
        ItemFileFormat.put(headerChecksum(Array(bytes[0..<28]), id: id, nonce: nonce, offset: offset), &bytes, 28)
        bytes += id + data + meta
        bytes += [UInt8](repeating: 0, count: aligned(bytes.count) - bytes.count)
        return bytes
    }

    /// The header of a valid record at `offset` whose first bytes are `bytes` (its header and id at least), or nil.
    static func parseRecord(_ bytes: UnsafeRawBufferPointer, nonce: UInt64, offset: Int, maxData: Int) -> Record? {
        guard bytes.count >= recordHeaderSize, bytes[0] == recordMagic[0], bytes[1] == recordMagic[1], bytes[2] == recordMagic[2],
              bytes[3] == recordMagic[3], bytes[4] == recordVersion, let kind = kind(bytes[5]) else { return nil }
        let idLength = Int(bytes[6])
        guard idLength >= 1, bytes.count >= recordHeaderSize + idLength else { return nil }
        let id = Array(bytes[recordHeaderSize..<(recordHeaderSize + idLength)])
        guard ItemFileFormat.get(UInt32.self, bytes, 28) == headerChecksum(Array(bytes[0..<28]), id: id, nonce: nonce, offset: offset),
              let text = String(validating: id, as: UTF8.self), CacheKey.isMediaID(text) else { return nil }
        let record = Record(key: CacheKey(kind: kind, id: text), dataLength: Int(ItemFileFormat.get(UInt32.self, bytes, 8)),
                            metaLength: Int(ItemFileFormat.get(UInt32.self, bytes, 12)),
                            dataChecksum: ItemFileFormat.get(UInt32.self, bytes, 16), metaChecksum: ItemFileFormat.get(UInt32.self, bytes, 20))
        guard record.dataLength <= maxData, record.metaLength >= 1, record.metaLength <= ItemFileFormat.maxMeta else { return nil }
        return record
    }

    private static func headerChecksum(_ header: [UInt8], id: [UInt8], nonce: UInt64, offset: Int) -> UInt32 {
        var salt = [UInt8](repeating: 0, count: 16)
        ItemFileFormat.put(nonce, &salt, 0)
        ItemFileFormat.put(UInt64(offset), &salt, 8)
        return CRC32C.checksum(salt + header + id)
    }
}

/// Where a record is: its pack's number and its offset there, kept in an index entry's `nonce` (with
/// `Entry.Flags.packed`).
struct PackLocation: Equatable, Hashable {
    var pack: UInt32
    var offset: Int

    init(pack: UInt32, offset: Int) {
        self.pack = pack
        self.offset = offset
    }

    /// 24 bits of pack number, 40 of offset in units of 16 bytes (16 TiB).
    init(encoded: UInt64) {
        pack = UInt32(encoded >> 40)
        offset = Int(encoded & 0xFF_FFFF_FFFF) * PackFormat.alignment
    }

    var encoded: UInt64 { UInt64(pack) << 40 | UInt64(offset / PackFormat.alignment) }

    static let maxPack: UInt32 = 0xFF_FFFF
}
