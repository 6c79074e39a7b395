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
        let (victims, expired) = index.locked { state -> ([(CacheKey, CachedItem?)], [CacheKey]) in
            let victims = state.evict(toFit: budget).map { ($0, state.item($0)) }
            return (victims, victims.isEmpty ? [] : state.expire(now: now, life: life))
        }
        guard !victims.isEmpty || !expired.isEmpty else { return }
        let root = root, blockSize = blockSize
        let emptied = (try? await DiskIO.run { () -> [(CacheKey, UInt64)] in
            var emptied: [(CacheKey, UInt64)] = []
            for (key, item) in victims {
                let path = Self.itemPath(root, key)
                guard let item, let json = try? JSONEncoder().encode(item) else {
                    CacheCleanup.removeItemFile(path)
                    continue
                }
                let header = ItemFile.newHeader(key, blockSize: blockSize, table: item.blockCount(),
                                                metaCapacity: ItemFileFormat.metaCapacity(for: json.count))
                if (try? ItemFile.replace(path, header: header, meta: ItemFileFormat.metaRecord([UInt8](json), capacity: header.metaCapacity))) != nil {
                    emptied.append((key, header.nonce))
                } else {
                    CacheCleanup.removeItemFile(path)  // no room even for that: the meta goes too
                }
            }
            for key in expired { CacheCleanup.removeItemFile(Self.itemPath(root, key)) }
            return emptied
        }) ?? []
        index.locked { state in
            for (key, nonce) in emptied { state.sync(key, nonce: nonce, blocks: []) }
        }
    }
}
