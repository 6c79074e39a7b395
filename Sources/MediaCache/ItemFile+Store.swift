#if canImport(Glibc)
import Glibc
#endif

extension ItemFile {
    /// What a write left: the file's nonce, whether the write is in it, and the blocks the file holds when it is not
    /// the file the caller knew (another nonce: made or replaced by someone else).
    struct Written {
        var nonce: UInt64 = 0
        var kept = false
        var blocks: [(index: Int, length: Int)]?
    }

    static func newHeader(_ key: CacheKey, blockSize: Int, table: Int, metaCapacity: Int) -> ItemFileFormat.Header {
        ItemFileFormat.Header(identity: ItemFileFormat.identity(key), blockSize: blockSize, tableCapacity: table,
                              metaCapacity: metaCapacity, nonce: UInt64.random(in: 1...UInt64.max))
    }

    /// Writes `json` as the meta of `key`'s file: in place when it fits, else into a new file with room for it
    /// (the old file's blocks copied over, each checked); the file is made if there is none.
    static func storeMeta(_ path: String, key: CacheKey, json: [UInt8], blockSize: Int, blockCount: Int, knownNonce: UInt64) throws -> Written {
        for _ in 0..<4 {
            guard let fd = try openForWriting(path, fresh: { newHeader(key, blockSize: blockSize, table: blockCount, metaCapacity: 8) }) else {
                let header = newHeader(key, blockSize: blockSize, table: blockCount, metaCapacity: ItemFileFormat.metaCapacity(for: json.count))
                if try createIfAbsent(path, header: header, meta: ItemFileFormat.metaRecord(json, capacity: header.metaCapacity)) {
                    return Written(nonce: header.nonce, kept: true, blocks: header.nonce == knownNonce ? nil : [])
                }
                continue  // someone made it meanwhile: write into theirs
            }
            defer { close(fd) }
            let head = try readHead(fd, path, key: key)
            if let head, head.header.blockSize == blockSize, head.header.tableCapacity >= blockCount,
               let record = ItemFileFormat.metaRecord(json, capacity: head.header.metaCapacity) {
                try write(fd, path, record, at: head.header.metaOffset)
                return Written(nonce: head.header.nonce, kept: true, blocks: blocks(head, knownNonce))
            }
            let header = newHeader(key, blockSize: blockSize, table: blockCount, metaCapacity: ItemFileFormat.metaCapacity(for: json.count))
            try replace(path, header: header, meta: ItemFileFormat.metaRecord(json, capacity: header.metaCapacity))
            var copied: [(index: Int, length: Int)] = []
            if let head, head.header.blockSize == blockSize, let target = try open(path, writable: true) {
                defer { close(target) }
                guard try readHeader(target, path, key: key) == header else { continue }  // replaced again meanwhile
                for (index, entry) in head.blocks where index < blockCount {
                    guard let checked = try readCheckedBlock(fd, path, header: head.header, block: index, entry: entry) else { continue }
                    try writeBlock(target, path, header: header, block: index, checked)
                    copied.append((index, entry.length))
                }
            }
            return Written(nonce: header.nonce, kept: true, blocks: copied)
        }
        return Written()
    }

    /// Writes block `block` into `key`'s file, making the file first if there is none (sized by `known`, the item's
    /// meta and block count when known). Not kept (no error): the file is not a valid one of `key` (left for the
    /// owner's scan), has another block size, or its table has no room (a stream that outgrew its guess).
    static func storeBlock(_ path: String, key: CacheKey, blockSize: Int, known: (json: [UInt8], blockCount: Int)?, block: Int,
                           _ checked: CheckedBlock, knownNonce: UInt64) throws -> Written {
        let table = max(known?.blockCount ?? ItemFileFormat.unknownSizeTable, block + 1)
        for _ in 0..<4 {
            let fresh = { newHeader(key, blockSize: blockSize, table: table, metaCapacity: ItemFileFormat.unknownMetaCapacity) }
            guard let fd = try openForWriting(path, fresh: fresh) else {
                let header = newHeader(key, blockSize: blockSize, table: table,
                                       metaCapacity: known.map { ItemFileFormat.metaCapacity(for: $0.json.count) } ?? ItemFileFormat.unknownMetaCapacity)
                try createIfAbsent(path, header: header, meta: known.flatMap { ItemFileFormat.metaRecord($0.json, capacity: header.metaCapacity) })
                continue
            }
            defer { close(fd) }
            guard let (header, entry) = try readEntry(fd, path, key: key, block: block) else { return Written() }
            var written = Written(nonce: header.nonce)
            if header.blockSize == blockSize, let entry {
                if entry != ItemFileFormat.Entry(length: checked.bytes.count, checksum: checked.checksum) {
                    try writeBlock(fd, path, header: header, block: block, checked)
                }
                written.kept = true
            }
            if header.nonce != knownNonce { written.blocks = try readHead(fd, path, key: key).map { blocks($0, 0) ?? [] } ?? [] }
            return written
        }
        return Written()
    }

    /// The blocks of `head` when it is not the file the caller knew.
    private static func blocks(_ head: ItemFileHead, _ knownNonce: UInt64) -> [(index: Int, length: Int)]? {
        head.header.nonce == knownNonce ? nil : head.blocks.map { ($0.index, $0.entry.length) }
    }
}
