import Foundation
import Locking

extension DiskDataCache {
    /// The owner, after its first scan: small items still in files of their own (a cache written before packs, or
    /// items a guest fetched again) move into packs, so an old cache gets the packs' disk and scan too. Each block is
    /// checked against its file's table first; the index is pointed at the new record, then the file goes. An item
    /// in use (open), changed meanwhile or whose file no longer matches keeps its file. Blocking: the scan's thread.
    func repackSmallItems() {
        guard packs.writable, min(packLimit, PackFormat.itemLimit) > 0 else { return }
        let candidates = index.locked { state in
            state.entries.compactMap { key, entry -> (key: CacheKey, nonce: UInt64, item: CachedItem, length: Int?)? in
                guard entry.flags.isDisjoint(with: .storage), entry.nonce != 0, entry.pins == 0, let item = state.item(key),
                      packable(item) else { return nil }
                if entry.blocks.isEmpty { return (key, entry.nonce, item, nil) }  // evicted: its meta alone
                guard entry.blocks.count == 1, let length = entry.blocks[0], Int64(length) == item.size else { return nil }
                return (key, entry.nonce, item, length)
            }
        }
        var moved = 0
        for candidate in candidates {
            guard let json = try? JSONEncoder().encode(candidate.item), json.count <= ItemFileFormat.maxMeta,
                  let data = Self.checkedBytes(itemPath(candidate.key), candidate.key, nonce: candidate.nonce, length: candidate.length)
            else { continue }
            guard let location = try? packs.append(candidate.key, data: data, meta: [UInt8](json)) else { break }  // a full disk
            let switched = index.locked { state -> Bool in
                guard let entry = state.entries[candidate.key], entry.nonce == candidate.nonce, entry.pins == 0,
                      entry.blocks[0] == candidate.length, entry.blocks.count == (candidate.length == nil ? 0 : 1) else { return false }
                state.entries.modify(candidate.key) { entry in
                    entry.nonce = location.encoded
                    entry.flags.insert(.packed)
                    if candidate.length != nil { entry.blocks.markVerified(0, true) }
                }
                return true
            }
            if switched {
                CacheCleanup.removeItemFile(itemPath(candidate.key))
                moved += 1
            } else {
                try? packs.remove(candidate.key, at: location)
            }
        }
        if moved > 0 { logger.info("cache: moved \(moved) small items from their own files into packs") }
    }

    /// The item's one block read from its file and checked (`length` nil: none, the item is a meta alone); nil when
    /// the file is not the one the index knew or the block fails its check.
    private static func checkedBytes(_ path: String, _ key: CacheKey, nonce: UInt64, length: Int?) -> [UInt8]? {
        guard let fd = try? ItemFile.open(path, writable: false) else { return nil }
        defer { close(fd) }
        guard let (header, entry) = try? ItemFile.readEntry(fd, path, key: key, block: 0), header.nonce == nonce else { return nil }
        guard let length else { return [] }
        guard let entry, entry.length == length,
              let checked = try? ItemFile.readCheckedBlock(fd, path, header: header, block: 0, entry: entry) else { return nil }
        return checked.bytes
    }
}
