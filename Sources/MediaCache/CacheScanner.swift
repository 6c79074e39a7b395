import Foundation
import Logging

/// Builds the index from disk at start: one read of each item file's head (header, block table, meta); the blocks'
/// data are checked later, on first read. Recency starts from the files' mtimes.
///
/// Only files named `[A-Za-z0-9_-]{1,128}` (and our temporaries) are ours; any other name, or a folder or link
/// where an item file is expected, is skipped with a warning and never touched. With `cleanup` (the owner, see
/// CacheLock.swift) leftovers go by the rules of `CacheCleanup`; a guest deletes nothing, since what looks
/// abandoned may be the owner's live work.
enum CacheScanner {
    /// Every item file under `root`, oldest first (by mtime: the order recency starts in).
    static func scanItems(root: String, blockSize: Int, cleanup: Bool, now: Double, logger: Logger) -> [ScannedItem] {
        var items: [ScannedItem] = []
        for kind in CacheKey.Kind.allCases {
            let folder = root + "/" + kind.rawValue
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let path = folder + "/" + name
                switch ItemFileName(name) {
                case .item(let id):
                    let key = CacheKey(kind: kind, id: id)
                    if let item = scanItem(key, path: path, blockSize: blockSize, cleanup: cleanup, now: now, logger: logger) { items.append(item) }
                case .temporary(let pid):
                    if cleanup, CacheCleanup.isAbandoned(temporary: path, pid: pid, now: now) { unlink(path) }
                case .foreign:
                    logger.warning("cache: skipping \(path): not an item file of wxmediafs")
                }
            }
        }
        return items.sorted { $0.newest < $1.newest }
    }

    /// One item file: its meta and the blocks its table vouches for; nil without a usable meta (then the file is
    /// dealt with by the rules of `skip`).
    static func scanItem(_ key: CacheKey, path: String, blockSize: Int, cleanup: Bool, now: Double, logger: Logger) -> ScannedItem? {
        guard FileStatus(path)?.isRegular == true else {
            if FileStatus(path) != nil { logger.warning("cache: skipping \(path): not a regular file") }
            return nil
        }
        let head: ItemFileHead?
        do {
            guard let fd = try ItemFile.open(path, writable: false) else { return nil }
            defer { close(fd) }
            head = try ItemFile.readHead(fd, path, key: key)
        } catch {
            logger.warning("cache: cannot read \(path): \(error)")
            return nil
        }
        guard let head else {
            skip(path, why: "not a valid item file of this item", cleanup: cleanup, now: now, logger: logger)
            return nil
        }
        guard head.header.blockSize == blockSize,
              let json = head.meta, let item = try? JSONDecoder().decode(CachedItem.self, from: Data(json)),
              item.format == 1, item.blockSize == blockSize
        else {
            skip(path, why: "no usable meta", cleanup: cleanup, now: now, logger: logger)
            return nil
        }
        return ScannedItem(key: key, item: item, blocks: head.blocks.map { ($0.index, $0.entry.length) }, newest: head.modified,
                           nonce: head.header.nonce)
    }

    /// A file without a usable meta: its blocks cannot be interpreted. Young, it is someone's live work (a stream
    /// without Content-Length writes its meta at its end); untouched for an hour and ours (our magic), the owner
    /// removes it; anything else is left alone.
    private static func skip(_ path: String, why: String, cleanup: Bool, now: Double, logger: Logger) {
        // Its age as of now, after the read (a meta being written meanwhile makes it young again).
        guard let status = FileStatus(path), now - status.modified >= CacheCleanup.abandonedAfter else {
            return logger.debug("cache: skipping \(path): \(why) yet (an item being fetched)")
        }
        guard CacheCleanup.claimsOurMagic(path) else { return logger.warning("cache: skipping \(path): not wxmediafs's") }
        guard cleanup else { return logger.debug("cache: \(path): \(why); left for the owner of the cache") }
        logger.info("cache: removing \(path): \(why), untouched for an hour")
        unlink(path)
    }
}

/// An item file as a scan found it.
struct ScannedItem {
    let key: CacheKey
    let item: CachedItem
    let blocks: [(index: Int, length: Int)]
    /// The file's mtime: where its recency starts.
    let newest: Double
    let nonce: UInt64
    /// A pack record (`nonce` is its `PackLocation`), not an item file.
    var packed = false
}

extension CacheIndex {
    /// Takes in what a scan found of an item. What the index already knows of it (stored or read since the scan
    /// began) wins; a file the index has not seen yet gives its blocks.
    mutating func adopt(_ scanned: ScannedItem) {
        let fresh = entries[scanned.key]?.hasItem != true
        if fresh { store(scanned.item, key: scanned.key) }
        if (entries[scanned.key]?.nonce ?? 0) == 0 {
            sync(scanned.key, nonce: scanned.nonce, blocks: scanned.blocks)
            if scanned.packed {
                entries.modify(scanned.key) { entry in
                    entry.flags.insert(.packed)
                    entry.flags.remove(.metaPending)
                }
            }
        }
        if fresh { touch(scanned.key) }  // an item used since the scan began keeps its recency
    }
}
