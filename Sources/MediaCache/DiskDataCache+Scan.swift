import Foundation
import Locking

/// The first scan of the directory when it runs beside the mount (`scanInBackground`, BackgroundScan.swift).
extension DiskDataCache {
    /// The first scan, on its own thread (or in `init`): the packs' items first (lookups on the spot wait for them),
    /// then an old cache is migrated (owner), then item files are taken in by batches (each a short hold of the
    /// index lock), then the owner drops what is past the media life, then the scan is done.
    func scanBeside(start: Double, gate: DispatchSemaphore? = nil) {
        let began = Date()
        let packed = scanPacks()
        for batch in packed.chunks(of: 1_000) { index.locked { state in for item in batch { state.adopt(item) } } }
        scan.finishPacks()
        gate?.wait()
        if access.isOwner { V1Migration.migrateAll(directory: directory, root: root, blockSize: blockSize, logger: logger) }
        let items = CacheScanner.scanItems(root: root, blockSize: blockSize, cleanup: access.isOwner, now: start, logger: logger)
        for batch in items.chunks(of: 1_000) { index.locked { state in for item in batch { state.adopt(item) } } }
        if access.isOwner {
            removeExpired(index.locked { $0.expire(now: start, life: mediaLife) })
        }
        scan.finish()
        if access.isOwner { repackSmallItems() }
        logger.debug("cache scanned beside the mount", metadata: ["items": "\(packed.count + items.count)", "seconds": "\(Date().timeIntervalSince(began))"])
    }

    /// Removes what is left on disk of expired items (owner).
    func removeExpired(_ expired: [(key: CacheKey, record: PackLocation?)]) {
        for (key, record) in expired {
            if let record { try? packs.remove(key, at: record) } else { CacheCleanup.removeItemFile(itemPath(key)) }
        }
    }

    /// While the first scan runs: an item asked for by key is read from its file now (once), migrated first from
    /// an old cache if it is there (owner).
    func ensureLoaded(_ key: CacheKey) {
        guard !scan.done else { return }
        scan.waitForPacks()
        guard index.locked({ $0.entries[key]?.hasItem != true }), scan.claim(key) == .load else { return }
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

extension Array {
    /// The array in consecutive slices of `size` (the last may be shorter).
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
