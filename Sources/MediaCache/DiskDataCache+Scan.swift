import Foundation
import Locking

/// The first scan of the directory when it runs beside the mount (`scanInBackground`, BackgroundScan.swift).
extension DiskDataCache {
    /// The first scan, on its own thread: an old cache is migrated first (owner), then items are taken in by
    /// batches (each a short hold of the index lock), then the owner drops what is past the media life, then the
    /// scan is done.
    func scanBeside(start: Double) {
        let began = Date()
        if access.isOwner { V1Migration.migrateAll(directory: directory, root: root, blockSize: blockSize, logger: logger) }
        let items = CacheScanner.scanItems(root: root, blockSize: blockSize, cleanup: access.isOwner, now: start, logger: logger)
        var next = items[...]
        while !next.isEmpty {
            let batch = next.prefix(1_000)
            next = next.dropFirst(batch.count)
            index.locked { state in for item in batch { state.adopt(item) } }
        }
        if access.isOwner {
            let expired = index.locked { $0.expire(now: start, life: mediaLife) }
            for key in expired { CacheCleanup.removeItemFile(itemPath(key)) }
        }
        scan.finish()
        logger.debug("cache scanned beside the mount", metadata: ["items": "\(items.count)", "seconds": "\(Date().timeIntervalSince(began))"])
    }

    /// While the first scan runs: an item asked for by key is read from its file now (once), migrated first from
    /// an old cache if it is there (owner).
    func ensureLoaded(_ key: CacheKey) {
        guard !scan.done, index.locked({ $0.entries[key]?.hasItem != true }), scan.claim(key) == .load else { return }
        defer { scan.loaded(key) }
        if access.isOwner { V1Migration.migrate(key, directory: directory, root: root, blockSize: blockSize, logger: logger) }
        let path = itemPath(key)
        guard let item = CacheScanner.scanItem(key, path: path, blockSize: blockSize, cleanup: false, now: now(), logger: logger)
        else { return }
        index.locked { $0.adopt(item) }
    }

    /// Blocks until the first scan has ended (at once when it ran in `init`).
    public func waitForScan() { scan.wait() }
}
