import Foundation
import MediaCache

/// What an item's object says of it in its `x-amz-meta-*` fields: the item's meta (size, extension, content type,
/// times) and the CRC-32C of each of its blocks, so any range of it can be checked on its own before it is served.
enum ObjectMeta {
    /// The most blocks whose checksums fit in S3's 2 KB of user metadata with the rest (base64, 4 bytes each).
    static let maxBlocks = 256

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

    static func encode(_ item: CachedItem, checksums: [UInt32], origin: String?) -> [String: String] {
        var bytes: [UInt8] = []
        for sum in checksums {
            for shift in [24, 16, 8, 0] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: sum >> shift)) }
        }
        var fields = [
            "wx-format": "1",
            "wx-size": "\(item.size)",
            "wx-ext": item.fileExtension,
            "wx-block": "\(item.blockSize)",
            "wx-fetched": String(format: "%.3f", item.fetchedAt),
            "wx-crc32c": Data(bytes).base64EncodedString(),
        ]
        if let created = item.createdAt { fields["wx-created"] = String(format: "%.3f", created) }
        if let origin { fields["wx-origin"] = origin }
        return fields
    }

    /// The item and its block checksums, or nil when the fields are not ours, or disagree with the object's size.
    /// Everything a store says is checked here, before it reaches the filesystem: the block size must be this
    /// host's (a read walks blocks of it), the size within what the tier writes, the times finite and not in the future.
    static func decode(_ head: S3Client.Head, blockSize: Int, now: Double = Date().timeIntervalSince1970) -> (item: CachedItem, checksums: [UInt32])? {
        let fields = head.metadata
        let latest = now + 86_400
        func time(_ name: String) -> Double? { fields[name].flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 && $0 <= latest ? $0 : nil } }
        guard fields["wx-format"] == "1", let size = fields["wx-size"].flatMap({ Int64($0) }), size == head.size,
              size > 0, size <= Int64(maxBlocks) * Int64(blockSize),
              fields["wx-block"] == "\(blockSize)", let ext = fields["wx-ext"], MediaExtensionCheck.isSafe(ext),
              let fetched = time("wx-fetched"), fields["wx-created"] == nil || time("wx-created") != nil,
              let table = fields["wx-crc32c"].flatMap({ Data(base64Encoded: $0) }) else {
            return nil
        }
        let block = blockSize
        let count = Int((size + Int64(block) - 1) / Int64(block))
        guard table.count == 4 * count else { return nil }
        let bytes = [UInt8](table)
        var checksums: [UInt32] = []
        for i in 0..<count {
            var sum: UInt32 = 0
            for byte in bytes[(4 * i)..<(4 * i + 4)] { sum = sum << 8 | UInt32(byte) }
            checksums.append(sum)
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
