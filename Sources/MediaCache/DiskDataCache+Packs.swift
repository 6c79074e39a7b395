import Foundation
import Locking

/// Small whole items in packs (PackFormat.swift): the owner keeps an item of one block up to
/// `PackFormat.itemLimit` as one record (its bytes and meta together), written when its bytes arrive. Its meta
/// waits in the index until then (`metaPending`): an item whose bytes never come is not kept past this process.
extension DiskDataCache {
    func packable(_ item: CachedItem) -> Bool {
        packs.writable && item.size >= 1 && item.size <= Int64(min(packLimit, PackFormat.itemLimit, blockSize)) && item.blockSize == blockSize
    }

    /// `storeItem` for a packed item or one that will be: false when the item is not one (it goes to its file).
    func storeItemPacked(_ item: CachedItem, key: CacheKey) async throws -> Bool {
        enum Plan { case file, done, rewrite(PackLocation, length: Int?) }
        let plan = index.locked { state -> Plan in
            let entry = state.entries[key]
            if let entry, entry.flags.contains(.packed) {
                state.touch(key)
                guard packs.writable else {  // a guest does not write packs: the new meta is known here only
                    state.store(item, key: key)
                    return .done
                }
                return state.item(key) == item ? .done : .rewrite(PackLocation(encoded: entry.nonce), length: entry.blocks[0])
            }
            guard packable(item), (entry?.nonce ?? 0) == 0, entry?.blocks.isEmpty ?? true else {
                state.entries.modify(key) { $0.flags.remove(.metaPending) }  // its file takes the meta now
                return .file
            }
            state.store(item, key: key)
            state.entries.modify(key) { $0.flags.insert(.metaPending) }
            state.touch(key)
            return .done
        }
        if case .file = plan { return false }
        guard case .rewrite(let old, let length) = plan else { return true }
        // A new meta for a packed item (a `goneAt`, say): a new record with the same bytes (checked), the old one goes.
        let json = [UInt8](try JSONEncoder().encode(item)), store = packs
        guard json.count <= ItemFileFormat.maxMeta else { return true }  // not kept (a hostile filename): known here only
        let (location, kept) = try await DiskIO.run { () -> (PackLocation, Int?) in
            var data: [UInt8] = []
            if let length, let pack = try store.reader(old.pack),
               case .data(let checked) = try PackFile.readData(pack.fd, store.path(old.pack), nonce: pack.nonce, offset: old.offset, key: key, length: length) {
                data = checked.bytes
            }
            return (try store.append(key, data: data, meta: json), data.isEmpty ? nil : data.count)
        }
        // The index points at the new record before the old one is punched: a reader meanwhile finds one of them.
        let switched = index.locked { state -> Bool in
            guard state.entries[key]?.nonce == old.encoded else { return false }
            state.store(item, key: key)
            state.entries.modify(key) { $0.nonce = location.encoded }
            if kept == nil { state.removeBlock(key, index: 0) }  // its bytes were gone or failed their check: a miss now
            return true
        }
        try? await DiskIO.run { try store.remove(key, at: switched ? old : location) }
        return true
    }

    /// `store` for an item whose meta waits for its bytes, or a packed one: false when the block goes to the
    /// item's file instead (not the whole item: the meta is written to the file first, by the caller's path).
    func storePacked(_ key: CacheKey, _ block: Int, _ checked: CheckedBlock) async throws -> Bool {
        enum Plan { case file, done, append(CachedItem, old: PackLocation?) }
        let writable = packs.writable
        let plan = index.locked { state -> Plan in
            guard let entry = state.entries[key], !entry.flags.isDisjoint(with: .storage), let item = state.item(key) else { return .file }
            if entry.flags.contains(.packed), entry.blocks[0] != nil { return .done }
            guard writable, packable(item) else {
                // A guest writes no pack: a packed item it fetched again goes to a file of its own.
                state.sync(key, nonce: 0, blocks: [])
                return .file
            }
            guard block == 0, Int64(checked.bytes.count) == item.size else {
                if entry.flags.contains(.packed) { return .done }  // not kept: a packed item's bytes come whole
                state.entries.modify(key) { $0.flags.remove(.metaPending) }
                return .file
            }
            // Claimed here: a second writer of the same block meanwhile finds neither flag and writes a file.
            state.entries.modify(key) { $0.flags.remove(.metaPending) }
            return .append(item, old: entry.flags.contains(.packed) ? PackLocation(encoded: entry.nonce) : nil)
        }
        if case .file = plan { return false }
        guard case .append(let item, let old) = plan else { return true }
        let packs = packs
        let location: PackLocation
        do {
            let json = [UInt8](try JSONEncoder().encode(item))
            guard json.count <= ItemFileFormat.maxMeta else { return true }  // not kept (a hostile filename), as in a file
            location = try await DiskIO.run { try packs.append(key, data: checked.bytes, meta: json) }
        } catch {
            if old == nil { index.locked { state in _ = state.entries.modify(key) { $0.flags.insert(.metaPending) } } }
            throw error
        }
        // The index points at the new record first, then the old one (a meta alone) is punched.
        let (taken, newer) = index.locked { state -> (Bool, CachedItem?) in
            guard state.entries[key]?.hasItem == true, state.entries[key]?.nonce == (old?.encoded ?? 0) else { return (false, nil) }
            state.entries.modify(key) { entry in
                entry.flags.insert(.packed)
                entry.flags.remove(.metaPending)
                entry.nonce = location.encoded
            }
            state.addBlock(key, index: 0, length: checked.bytes.count, verified: true)
            state.touch(key)
            // A meta stored while the record was written (a `goneAt`) is written after it.
            return (true, state.item(key).flatMap { $0 == item ? nil : $0 })
        }
        try? await DiskIO.run {
            if !taken { try packs.remove(key, at: location) }  // the item went or moved meanwhile
            if taken, let old { try packs.remove(key, at: old) }
        }
        if let newer { _ = try await storeItemPacked(newer, key: key) }
        await evictIfOwner()
        return true
    }

    /// A packed item's block read from its pack: the whole record's data, checked. Nil (a miss) when the record is
    /// gone or fails its check (then the owner punches it and the item's next bytes are packed again).
    func fetchPacked(_ key: CacheKey, _ block: Int, range: Range<Int>, location: PackLocation, length: Int, again: Bool = false) throws
        -> (bytes: [UInt8], checked: CheckedBlock?)? {
        let read: PackFile.DataRead
        do {
            guard let pack = try packs.reader(location.pack) else {
                forget(key, block, corrupt: false, nonce: location.encoded)
                return nil
            }
            read = try PackFile.readData(pack.fd, packs.path(location.pack), nonce: pack.nonce, offset: location.offset, key: key, length: length)
        } catch let error as CacheIOError {
            logger.warning("cannot read a cache block: \(error)", metadata: ["item": "\(key)", "block": "\(block)"])
            if !error.isTransient { index.locked { $0.removeBlock(key, index: block) } }
            throw error
        }
        switch read {
        case .data(let checked):
            return (range == 0..<length ? checked.bytes : Array(checked.bytes[range]), checked)
        case .absent:
            // Punched: moved meanwhile (a new meta: read it where it is now, once), or evicted.
            let moved = index.locked { state -> PackLocation? in
                guard let entry = state.entries[key], entry.flags.contains(.packed), entry.nonce != location.encoded,
                      entry.blocks[block] == length else { return nil }
                return PackLocation(encoded: entry.nonce)
            }
            if let moved, !again { return try fetchPacked(key, block, range: range, location: moved, length: length, again: true) }
            forget(key, block, corrupt: false, nonce: location.encoded)
            return nil
        case .corrupt:
            logger.warning("cache block failed its check and was dropped", metadata: ["item": "\(key)", "block": "\(block)"])
            forget(key, block, corrupt: true, nonce: location.encoded)
            let writable = packs.writable
            let owned = index.locked { state -> Bool in
                guard state.entries[key]?.nonce == location.encoded else { return false }
                state.sync(key, nonce: 0, blocks: [])
                if writable { state.entries.modify(key) { $0.flags.insert(.metaPending) } }  // its next bytes are packed again
                return true
            }
            if owned { try? packs.remove(key, at: location) }
            return nil
        }
    }

    /// Eviction of packed items (owner): each gets a record holding its meta alone (so the item stays listed, as an
    /// evicted item file keeps its meta); the caller points the index at it, then punches the old record.
    static func emptyPacked(_ victims: [(CacheKey, PackLocation, CachedItem)], packs: PackStore) -> [(key: CacheKey, old: PackLocation, new: PackLocation?)] {
        victims.map { key, old, item in
            (key, old, (try? JSONEncoder().encode(item)).flatMap { try? packs.append(key, data: [], meta: [UInt8]($0)) })
        }
    }

    /// Every valid record of every pack, the last of each item's (a meta rewritten, the bytes of an evicted item
    /// fetched again); the owner punches the others. In pack order: the order recency starts in.
    func scanPacks() -> [ScannedItem] {
        var found: [CacheKey: (location: PackLocation, item: ScannedItem)] = [:]
        var dead: [(CacheKey, PackLocation)] = []
        var scanned: Set<UInt32> = []
        for number in packs.numbers() {
            do {
                guard let pack = try packs.reader(number) else {
                    logger.warning("cache: skipping \(packs.path(number)): not a valid pack")
                    continue
                }
                let modified = FileStatus(packs.path(number))?.modified ?? 0
                try PackFile.scan(pack.fd, packs.path(number), nonce: pack.nonce, maxData: min(PackFormat.itemLimit, blockSize)) { offset, record, meta in
                    let location = PackLocation(pack: number, offset: offset)
                    guard let item = try? JSONDecoder().decode(CachedItem.self, from: Data(meta)), item.format == 1, item.blockSize == blockSize,
                          record.dataLength == 0 || Int64(record.dataLength) == item.size else { return dead.append((record.key, location)) }
                    let scanned = ScannedItem(key: record.key, item: item, blocks: record.dataLength > 0 ? [(0, record.dataLength)] : [],
                                              newest: modified, nonce: location.encoded, packed: true)
                    if let earlier = found.updateValue((location, scanned), forKey: record.key) { dead.append((record.key, earlier.location)) }
                }
                scanned.insert(number)
            } catch {
                logger.warning("cache: cannot read \(packs.path(number)): \(error)")
            }
        }
        if packs.writable {
            for (key, location) in dead { try? packs.remove(key, at: location, counted: false) }
            for (location, _) in found.values { packs.adopt(location) }
            packs.removeDead(scanned: scanned)
        }
        return found.values.map(\.item).sorted { $0.nonce < $1.nonce }  // pack, then offset
    }
}
