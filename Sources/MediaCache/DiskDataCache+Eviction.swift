import Locking
import Foundation

extension DiskDataCache {
    /// Owner only (a guest keeps no budget: see CacheLock.swift). The least recently used unpinned items beyond the
    /// budget lose their blocks: each file is replaced by one holding its meta alone (a new nonce, so a reader that
    /// checked the old blocks never takes the new file for it; one still reading the old file reads it whole). Then
    /// the items with no block left that are older than `mediaLife` go whole: the server has deleted them, so they
    /// can never be read again. Without pressure on the budget a meta may outlive its item until the next
    /// eviction or the owner's next start: it is small, and not listed.
    func evictIfOwner() async {
        guard isOwner, scan.done else { return }  // the first scan has not counted every block yet
        let now = now()
        let budget = budget
        let life = mediaLife
        let (victims, packed, expired) = index.locked { state in
            var victims: [(CacheKey, UInt64)] = [], packed: [(CacheKey, PackLocation, CachedItem)] = []
            for key in state.evict(toFit: budget) {
                guard let entry = state.entries[key] else { continue }
                if entry.flags.contains(.packed), let item = state.item(key) {
                    packed.append((key, PackLocation(encoded: entry.nonce), item))
                } else {
                    victims.append((key, entry.nonce))
                }
            }
            let expired = victims.isEmpty && packed.isEmpty ? [] : state.expire(now: now, life: life)
            let gone = Set(expired.map(\.key))
            return (victims, packed.filter { !gone.contains($0.0) }, expired)  // an expired victim's record just goes
        }
        guard !victims.isEmpty || !packed.isEmpty || !expired.isEmpty else { return }
        let root = root, packs = packs
        let (emptied, repacked) = (try? await DiskIO.run { () -> ([(CacheKey, UInt64)], [(key: CacheKey, old: PackLocation, new: PackLocation?)]) in
            let emptied = victims.compactMap { key, nonce in Self.empty(Self.itemPath(root, key), key: key, nonce: nonce).map { (key, $0) } }
            let repacked = Self.emptyPacked(packed, packs: packs)
            self.removeExpired(expired)
            return (emptied, repacked)
        }) ?? ([], [])
        let punch = index.locked { state -> [(CacheKey, PackLocation)] in
            for (key, nonce) in emptied { state.sync(key, nonce: nonce, blocks: []) }
            return repacked.flatMap { key, old, new -> [(CacheKey, PackLocation)] in
                guard state.entries[key]?.nonce == old.encoded, state.entries[key]?.blocks.isEmpty == true else {
                    return new.map { [(key, $0)] } ?? []  // fetched again or moved meanwhile: the meta record is not needed
                }
                if let new {
                    state.entries.modify(key) { $0.nonce = new.encoded }
                } else {
                    state.sync(key, nonce: 0, blocks: [])  // no room for its meta: it is known here only
                }
                return [(key, old)]
            }
        }
        if !punch.isEmpty { try? await DiskIO.run { for (key, location) in punch { try? packs.remove(key, at: location) } } }
    }

    /// Replaces an evicted item's file by one holding its current meta alone (read from the file itself, so a meta
    /// another process wrote since is kept), if it is still the file the index knew; without a meta, or without
    /// room to write the new file, the file goes. The new file's nonce, if one was made.
    private static func empty(_ path: String, key: CacheKey, nonce: UInt64) -> UInt64? {
        guard let fd = try? ItemFile.open(path, writable: false) else { return nil }
        defer { close(fd) }
        guard let head = try? ItemFile.readHead(fd, path, key: key), head.header.nonce == nonce else { return nil }  // made anew meanwhile
        guard let json = head.meta else {
            CacheCleanup.removeItemFile(path)
            return nil
        }
        let header = ItemFile.newHeader(key, blockSize: head.header.blockSize, table: head.header.tableCapacity, metaCapacity: head.header.metaCapacity)
        let record = ItemFileFormat.metaRecord(json, generation: 1, capacity: header.metaCapacity)
        guard (try? ItemFile.replace(path, header: header, meta: record)) != nil else {
            CacheCleanup.removeItemFile(path)  // no room even for that (a full disk): the space matters more
            return nil
        }
        return header.nonce
    }
}
