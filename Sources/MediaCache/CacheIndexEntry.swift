extension CacheIndex {
    /// One item of the index, packed: ~64 bytes inline and no allocation for the usual item (one block,
    /// the usual `<id>.<ext>` filename, a content type and extension seen before). What is rare (another
    /// filename, a video_url, `goneAt`, a content type past the interner's room) lives in `CacheIndex.extras`.
    /// Memory per cached item is what bounds a long-running mount (docs/benchmarks.md).
    struct Entry {
        var size: Int64 = 0
        var fetchedAt: Double = 0
        var lastUse: UInt64 = 0
        /// The nonce of the item file the blocks were seen in (0: no file seen): a file with another is a new one.
        /// For a packed item, where its record is (`PackLocation.encoded`).
        var nonce: UInt64 = 0
        /// Block index → data length, and which were checked in this process.
        var blocks = BlockMap()
        var blockSize: UInt32 = 0
        var pins: Int32 = 0
        var contentType: UInt16 = 0
        var fileExtension: UInt16 = 0
        var flags: Flags = []

        struct Flags: OptionSet {
            let rawValue: UInt8
            static let hasItem = Flags(rawValue: 1)
            static let rangeSupported = Flags(rawValue: 2)
            /// The filename is `<id>.<ext>` (or nil): not stored.
            static let filenameElided = Flags(rawValue: 4)
            static let filenameNil = Flags(rawValue: 8)
            static let hasExtra = Flags(rawValue: 16)
            /// The item is a record in a pack (PackFormat.swift); `nonce` is its `PackLocation`.
            static let packed = Flags(rawValue: 32)
            /// The meta is known here only: it goes to disk with the item's bytes, in one pack record.
            static let metaPending = Flags(rawValue: 64)
            /// Where the item is kept on disk, unchanged when its meta is.
            static let storage: Flags = [.packed, .metaPending]
        }

        var hasItem: Bool { flags.contains(.hasItem) }

        /// Every block of the item is here: readable whole, whatever the server has done since.
        var isComplete: Bool {
            guard hasItem, blockSize > 0 else { return false }
            let count = Int((size + Int64(blockSize) - 1) / Int64(blockSize))
            return blocks.count >= count && (0..<count).allSatisfy { blocks[$0] != nil }
        }
    }

    /// The rare parts of an item, kept beside the packed entry.
    struct Extra {
        var filename: String?
        var videoURL: String?
        var goneAt: Double?
        var contentType: String?
        var fileExtension: String?
        var createdAt: Double?
    }

    /// Records `item` as what is known of `key` (its blocks, recency and pins stay).
    mutating func store(_ item: CachedItem, key: CacheKey) {
        var entry = entries[key] ?? Entry()
        var extra = Extra(videoURL: item.videoURL, goneAt: item.goneAt, createdAt: item.createdAt)
        entry.size = item.size
        entry.fetchedAt = item.fetchedAt
        entry.blockSize = UInt32(clamping: item.blockSize)
        entry.flags = entry.flags.intersection(.storage).union(.hasItem)
        if item.rangeSupported { entry.flags.insert(.rangeSupported) }
        if let code = strings.code(item.contentType) { entry.contentType = code } else { extra.contentType = item.contentType }
        if let code = strings.code(item.fileExtension) { entry.fileExtension = code } else { extra.fileExtension = item.fileExtension }
        if item.filename == nil {
            entry.flags.insert(.filenameNil)
        } else if item.filename == "\(key.id).\(item.fileExtension)" {
            entry.flags.insert(.filenameElided)
        } else {
            extra.filename = item.filename
        }
        if extra.filename != nil || extra.videoURL != nil || extra.goneAt != nil || extra.contentType != nil || extra.fileExtension != nil
            || extra.createdAt != nil {
            entry.flags.insert(.hasExtra)
            extras[key] = extra
        } else {
            extras.removeValue(forKey: key)
        }
        entries.update(key, default: entry) { $0 = entry }
    }

    /// The extension of an entry that has an item.
    func fileExtension(_ key: CacheKey, _ entry: Entry) -> String {
        let extra = entry.flags.contains(.hasExtra) ? extras[key]?.fileExtension : nil
        return extra ?? strings.string(entry.fileExtension) ?? "bin"
    }

    /// What is known of `key`, as stored.
    func item(_ key: CacheKey) -> CachedItem? {
        entries[key].flatMap { item(key, $0) }
    }

    func item(_ key: CacheKey, _ entry: Entry) -> CachedItem? {
        guard entry.hasItem else { return nil }
        let extra = entry.flags.contains(.hasExtra) ? extras[key] ?? Extra() : Extra()
        let fileExtension = fileExtension(key, entry)
        let filename = entry.flags.contains(.filenameNil) ? nil
            : entry.flags.contains(.filenameElided) ? "\(key.id).\(fileExtension)" : extra.filename
        return CachedItem(
            size: entry.size, contentType: extra.contentType ?? strings.string(entry.contentType), filename: filename,
            fileExtension: fileExtension, rangeSupported: entry.flags.contains(.rangeSupported), videoURL: extra.videoURL,
            fetchedAt: entry.fetchedAt, blockSize: Int(entry.blockSize), goneAt: extra.goneAt, createdAt: extra.createdAt
        )
    }
}
