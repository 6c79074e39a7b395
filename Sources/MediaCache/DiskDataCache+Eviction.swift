import Locking
import Foundation

extension DiskDataCache {
    /// Owner only (a guest keeps no budget: see CacheLock.swift). The least recently used unpinned blocks beyond
    /// the budget go; then the items with no block left that are older than `mediaLife` go whole, meta and
    /// folder: the server has deleted them, so they can never be read again. Without pressure on the budget a
    /// meta may outlive its item until the next eviction or the owner's next start: it is small, and not listed.
    func evictIfOwner() async {
        guard isOwner, scan.done else { return }  // the first scan has not counted every block yet
        let now = now()
        let budget = budget
        let life = mediaLife
        let (victims, expired) = index.locked { state in
            let victims = state.evict(toFit: budget)
            return (victims, victims.isEmpty ? [] : state.expire(now: now, life: life))
        }
        guard !victims.isEmpty || !expired.isEmpty else { return }
        let paths = victims.map { blockPath($0.0, $0.1) }
        let folders = expired.map { itemDirectory($0) }
        try? await DiskIO.run {
            for path in paths { unlink(path) }
            for folder in folders { CacheCleanup.removeItemFolder(folder, now: now) }
        }
    }
}
