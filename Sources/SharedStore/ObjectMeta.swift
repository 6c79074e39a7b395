import Foundation
import MediaCache

/// What an item's object says of it in its `x-amz-meta-*` fields: the item's meta (size, extension, content type,
/// times) and the CRC-32C of each of its blocks, so any range of it can be checked on its own before it is served.
enum ObjectMeta {
    /// The most blocks whose checksums fit in S3's 2 KB of user metadata with the rest (base64, 4 bytes each).
    static let maxBlocks = 256
    /// The most blocks of an item written in parts, whose checksums are in a table object of their own.
    static let maxTableBlocks = 65_536
    /// `wx-crc32c` of an item written in parts: its checksums are in `tableKey`, known only once it is whole.
    static let inTable = "table"

    /// `crcs/<appid>/<id>` (`crcs/<appid>/hd/<id>`): the block checksums of an item written in parts.
    static func tableKey(_ key: CacheKey, appID: String) -> String? {
        objectKey(key, appID: appID).map { "crcs/" + $0.dropFirst("items/".count) }
    }

    /// A checksum table: the object's ETag it belongs to, and the checksums (base64 of 4 bytes each, big-endian).
    struct Table: Codable {
        var etag: String
        var crc32c: String
    }

    static func table(_ checksums: [UInt32], etag: String) -> [UInt8] {
        Array((try? JSONEncoder().encode(Table(etag: normalized(etag), crc32c: packed(checksums)))) ?? Data())
    }

    /// The checksums of a table written for the object whose ETag is `etag`, `count` of them; nil otherwise.
    static func checksums(table bytes: [UInt8], etag: String, count: Int) -> [UInt32]? {
        guard let table = try? JSONDecoder().decode(Table.self, from: Data(bytes)), table.etag == normalized(etag),
              let sums = Data(base64Encoded: table.crc32c).map({ [UInt8]($0) }), sums.count == 4 * count else { return nil }
        return unpacked(sums)
    }

    static func normalized(_ etag: String) -> String { etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }

    private static func packed(_ checksums: [UInt32]) -> String {
        var bytes: [UInt8] = []
        for sum in checksums {
            for shift in [24, 16, 8, 0] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: sum >> shift)) }
        }
        return Data(bytes).base64EncodedString()
    }

    private static func unpacked(_ bytes: [UInt8]) -> [UInt32] {
        stride(from: 0, to: bytes.count, by: 4).map { i in bytes[i..<(i + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    }

    /// `items/<appid>/<id>` (an `hd` item under `items/<appid>/hd/<id>`); nil for what is made locally (WAV).
    static func objectKey(_ key: CacheKey, appID: String) -> String? {
        switch key.kind {
        case .media: "items/\(appID)/\(key.id)"
        case .hd: "items/\(appID)/hd/\(key.id)"
        case .hdWAV: nil
        }
    }

    /// The item's name marker, `names/<appid>/<id>.<ext>` (`names/<appid>/hd/…`): an empty object whose key is what
    /// a listing needs (S3 lists keys, not metadata), written once the item's object is there.
    static func nameKey(_ key: CacheKey, appID: String, ext: String) -> String? {
        switch key.kind {
        case .media: "names/\(appID)/\(key.id).\(ext)"
        case .hd: "names/\(appID)/hd/\(key.id).\(ext)"
        case .hdWAV: nil
        }
    }

    /// The item and extension a name marker stands for (relative to `names/<appid>/`); nil for anything else.
    static func parseName(_ relative: String) -> (key: CacheKey, ext: String)? {
        var rest = Substring(relative), kind = CacheKey.Kind.media
        if rest.hasPrefix("hd/") { rest = rest.dropFirst(3); kind = .hd }
        guard let dot = rest.lastIndex(of: "."), !rest.contains("/") else { return nil }
        let id = String(rest[..<dot]), ext = String(rest[rest.index(after: dot)...])
        guard CacheKey.isMediaID(id), MediaExtensionCheck.isSafe(ext) else { return nil }
        return (CacheKey(kind: kind, id: id), ext)
    }

    /// `checksums` nil: the item is written in parts, its checksums go to its table (`tableKey`).
    static func encode(_ item: CachedItem, checksums: [UInt32]?, origin: String?) -> [String: String] {
        var fields = [
            "wx-format": "1",
            "wx-size": "\(item.size)",
            "wx-ext": item.fileExtension,
            "wx-block": "\(item.blockSize)",
            "wx-fetched": String(format: "%.3f", item.fetchedAt),
            "wx-crc32c": checksums.map(packed) ?? inTable,
        ]
        if let created = item.createdAt { fields["wx-created"] = String(format: "%.3f", created) }
        if let origin { fields["wx-origin"] = origin }
        return fields
    }

    /// The item and its block checksums (nil when they are in its table), or nil when the fields are not ours, or
    /// disagree with the object's size.
    /// Everything a store says is checked here, before it reaches the filesystem: the block size must be this
    /// host's (a read walks blocks of it), the size within what the tier writes, the times finite and not in the future.
    static func decode(_ head: S3Client.Head, blockSize: Int, now: Double = Date().timeIntervalSince1970) -> (item: CachedItem, checksums: [UInt32]?)? {
        let fields = head.metadata
        let latest = now + 86_400
        func time(_ name: String) -> Double? { fields[name].flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 && $0 <= latest ? $0 : nil } }
        guard fields["wx-format"] == "1", let size = fields["wx-size"].flatMap({ Int64($0) }), size == head.size,
              size > 0, size <= Int64(fields["wx-crc32c"] == inTable ? maxTableBlocks : maxBlocks) * Int64(blockSize),
              fields["wx-block"] == "\(blockSize)", let ext = fields["wx-ext"], MediaExtensionCheck.isSafe(ext),
              let fetched = time("wx-fetched"), fields["wx-created"] == nil || time("wx-created") != nil,
              let listed = fields["wx-crc32c"] else {
            return nil
        }
        let block = blockSize
        let count = Int((size + Int64(block) - 1) / Int64(block))
        var checksums: [UInt32]?
        if listed != inTable {
            guard let table = Data(base64Encoded: listed), table.count == 4 * count else { return nil }
            checksums = unpacked([UInt8](table))
        }
        let item = CachedItem(size: size, contentType: head.contentType, filename: nil, fileExtension: ext, rangeSupported: true, videoURL: nil,
                              fetchedAt: fetched, blockSize: block, goneAt: nil, createdAt: time("wx-created"))
        return (item, checksums)
    }
}

/// An extension from a store is used in a file name: letters and digits only, short.
enum MediaExtensionCheck {
    static func isSafe(_ ext: String) -> Bool { (1...8).contains(ext.utf8.count) && ext.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7a).contains($0) } }
}
