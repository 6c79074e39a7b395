import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ItemFile {
    /// What a write left: the file's nonce, whether the file holds what was written (`kept`) and whether this call
    /// wrote it (`wrote`: false when the same block was there already), and the blocks the file holds when it is
    /// not the file the caller knew (another nonce: made or replaced by someone else).
    struct Written {
        var nonce: UInt64 = 0
        var kept = false
        var wrote = false
        var blocks: [(index: Int, length: Int)]?
    }

    static func newHeader(_ key: CacheKey, blockSize: Int, table: Int, metaCapacity: Int) -> ItemFileFormat.Header {
        ItemFileFormat.Header(identity: ItemFileFormat.identity(key), blockSize: blockSize, tableCapacity: min(table, ItemFileFormat.maxTable),
                              metaCapacity: metaCapacity, nonce: UInt64.random(in: 1...UInt64.max))
    }

    /// Writes `json` as the meta of `key`'s file: into the slot not holding the current meta when it fits, else into
    /// a new file with room for it (the old file's blocks copied over, each checked); the file is made if there is
    /// none. A file at the path that is not ours (no magic) is left alone and nothing is kept.
    static func storeMeta(_ path: String, key: CacheKey, json: [UInt8], blockSize: Int, blockCount: Int, knownNonce: UInt64) throws -> Written {
        guard json.count <= ItemFileFormat.maxMeta else { return Written() }
        let table = min(blockCount, ItemFileFormat.maxTable), capacity = ItemFileFormat.metaCapacity(for: json.count)
        let first = { (header: ItemFileFormat.Header) in ItemFileFormat.metaRecord(json, generation: 1, capacity: header.metaCapacity) }
        for _ in 0..<4 {
            let fresh = newHeader(key, blockSize: blockSize, table: table, metaCapacity: capacity)
            guard let fd = try openForWriting(path, fresh: { fresh }) else {
                if try createIfAbsent(path, header: fresh, meta: first(fresh)) {
                    return Written(nonce: fresh.nonce, kept: true, wrote: true, blocks: fresh.nonce == knownNonce ? nil : [])
                }
                continue  // someone made it meanwhile: write into theirs
            }
            defer { close(fd) }
            guard let head = try readHead(fd, path, key: key) else {
                guard try claimedVersion(fd, path) != 0 else { return Written() }
                try replace(path, header: fresh, meta: first(fresh))  // ours but unusable (torn header, another item's)
                return Written(nonce: fresh.nonce, kept: true, wrote: true, blocks: [])
            }
            if head.header.blockSize == blockSize, head.header.tableCapacity >= table,
               let record = ItemFileFormat.metaRecord(json, generation: head.metaGeneration &+ 1, capacity: head.header.metaCapacity) {
                try write(fd, path, record, at: head.header.slotOffset(head.metaSlot == 0 ? 1 : 0))
                return Written(nonce: head.header.nonce, kept: true, wrote: true, blocks: blocks(head, knownNonce))
            }
            try replace(path, header: fresh, meta: first(fresh))
            guard head.header.blockSize == blockSize, let target = try open(path, writable: true) else {
                return Written(nonce: fresh.nonce, kept: true, wrote: true, blocks: [])
            }
            defer { close(target) }
            guard try readHeader(target, path, key: key) == fresh else { continue }  // replaced again meanwhile
            var copied: [(index: Int, length: Int)] = []
            for (index, entry) in head.blocks where index < table {
                guard let checked = try readCheckedBlock(fd, path, header: head.header, block: index, entry: entry),
                      let (_, present) = try readEntry(target, path, key: key, block: index), let present,
                      try writeBlock(target, path, header: fresh, block: index, checked, present: present) else { continue }
                copied.append((index, entry.length))
            }
            return Written(nonce: fresh.nonce, kept: true, wrote: true, blocks: copied)
        }
        return Written()
    }

    /// Writes block `block` into `key`'s file, making the file first if there is none (sized by `known`, the item's
    /// meta and block count when known). Not kept (no error): the file is not a valid one of `key` (left for the
    /// owner's scan), has another block size, holds other bytes for that block, or its table has no room.
    static func storeBlock(_ path: String, key: CacheKey, blockSize: Int, known: CachedItem?, block: Int,
                           _ checked: CheckedBlock, knownNonce: UInt64) throws -> Written {
        let table = max(known?.blockCount() ?? ItemFileFormat.unknownSizeTable, block + 1)
        guard block < ItemFileFormat.maxTable else { return Written() }
        for _ in 0..<4 {
            guard let fd = try openForWriting(path, fresh: { newHeader(key, blockSize: blockSize, table: table, metaCapacity: ItemFileFormat.unknownMetaCapacity) })
            else {
                // No file yet (a block before its meta, or a file removed since): made here, with the meta if known.
                let json = try known.map { [UInt8](try JSONEncoder().encode($0)) }
                let fresh = newHeader(key, blockSize: blockSize, table: table,
                                      metaCapacity: json.map { ItemFileFormat.metaCapacity(for: $0.count) } ?? ItemFileFormat.unknownMetaCapacity)
                try createIfAbsent(path, header: fresh, meta: json.flatMap { ItemFileFormat.metaRecord($0, generation: 1, capacity: fresh.metaCapacity) })
                continue
            }
            defer { close(fd) }
            guard let (header, entry) = try readEntry(fd, path, key: key, block: block) else { return Written() }
            var written = Written(nonce: header.nonce)
            if header.blockSize == blockSize, let entry {
                written.kept = try writeBlock(fd, path, header: header, block: block, checked, present: entry)
                written.wrote = written.kept && entry.length == 0
            }
            if header.nonce != knownNonce { written.blocks = try readHead(fd, path, key: key).map { blocks($0, 0) ?? [] } ?? [] }
            return written
        }
        return Written()
    }

    /// The item-file version the file at `fd` claims (0: it does not start with our magic).
    static func claimedVersion(_ fd: Int32, _ path: String) throws -> UInt16 {
        try read(fd, path, offset: 0, count: 6).withUnsafeBytes { ItemFileFormat.claimedVersion($0) }
    }

    /// The blocks of `head` when it is not the file the caller knew.
    private static func blocks(_ head: ItemFileHead, _ knownNonce: UInt64) -> [(index: Int, length: Int)]? {
        head.header.nonce == knownNonce ? nil : head.blocks.map { ($0.index, $0.entry.length) }
    }
}
