import Foundation
import Logging

/// Builds the index from disk at start: metas that decode, block files by name and size (verified later, on first
/// read). Recency starts from the files' mtimes.
///
/// Only `[A-Za-z0-9_-]{1,128}` folders are items; any other name, or a file or link where a folder is expected, is
/// skipped with a warning and never touched. With `cleanup` (the owner, see CacheLock.swift) leftovers go by the
/// rules of `CacheCleanup`; a guest deletes nothing, since what looks abandoned may be the owner's live work.
enum CacheScanner {
    static func scan(root: String, blockSize: Int, cleanup: Bool, now: Double, logger: Logger) -> CacheIndex {
        var index = CacheIndex()
        for item in scanItems(root: root, blockSize: blockSize, cleanup: cleanup, now: now, logger: logger) { index.adopt(item) }
        logger.debug("cache scanned", metadata: ["items": "\(index.entries.count)", "bytes": "\(index.totalBytes)"])
        return index
    }

    /// Every item folder under `root`, oldest first (by its newest block's mtime: the order recency starts in).
    static func scanItems(root: String, blockSize: Int, cleanup: Bool, now: Double, logger: Logger) -> [ScannedItem] {
        var items: [ScannedItem] = []
        for kind in CacheKey.Kind.allCases {
            let folder = root + "/" + kind.rawValue
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let directory = folder + "/" + name
                guard let key = CacheKey(kind: kind, fileName: name), FileStatus(directory)?.isDirectory == true else {
                    logger.warning("cache: skipping \(directory): not an item folder of wxmediafs")
                    continue
                }
                if let item = scanItem(key, directory: directory, blockSize: blockSize, cleanup: cleanup, now: now, logger: logger) {
                    items.append(item)
                }
            }
        }
        return items.sorted { $0.newest < $1.newest }
    }

    /// One item folder: its meta and its block files (by name and size, verified later, on first read); nil
    /// without a usable meta (then the folder is dealt with by the rules of `skipWithoutMeta`).
    static func scanItem(_ key: CacheKey, directory: String, blockSize: Int, cleanup: Bool, now: Double, logger: Logger) -> ScannedItem? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard let item = readMeta(directory, blockSize: blockSize) else {
            skipWithoutMeta(directory, names: names, cleanup: cleanup, now: now, logger: logger)
            return nil
        }
        var blocks: [(index: Int, length: Int)] = []
        var newest = 0.0
        for name in names {
            let path = directory + "/" + name
            switch ItemFileName(name) {
            case .block(let block):
                guard let file = FileStatus(path), file.isRegular, file.size > BlockFormat.headerSize,
                      file.size - BlockFormat.headerSize <= blockSize else { continue }
                blocks.append((block, file.size - BlockFormat.headerSize))
                newest = max(newest, file.modified)
            case .temporary(let pid):
                if cleanup, CacheCleanup.isAbandoned(temporary: path, pid: pid, now: now) { unlink(path) }
            case .meta, .foreign:
                continue
            }
        }
        return ScannedItem(key: key, item: item, blocks: blocks, newest: newest)
    }

    /// The meta of an item folder, if it is readable, decodes, and matches this cache's format and block size.
    static func readMeta(_ directory: String, blockSize: Int) -> CachedItem? {
        guard let bytes = try? CacheFiles.readAll(directory + "/meta"),
              let item = try? JSONDecoder().decode(CachedItem.self, from: Data(bytes)),
              item.format == 1, item.blockSize == blockSize else { return nil }
        return item
    }

    /// A folder without a usable meta: its blocks cannot be interpreted. Young, it is someone's live work;
    /// abandoned and all ours, the owner removes it; abandoned with files that are not ours, it is left alone.
    private static func skipWithoutMeta(_ directory: String, names: [String], cleanup: Bool, now: Double, logger: Logger) {
        if CacheCleanup.isAbandoned(folder: directory, names: names, now: now) {
            guard cleanup else { return logger.debug("cache: \(directory) has no meta; left for the owner of the cache") }
            logger.info("cache: removing \(directory): no usable meta and untouched for an hour")
            CacheCleanup.removeItemFolder(directory, now: now)
        } else if let folder = FileStatus(directory), now - folder.modified >= CacheCleanup.abandonedAfter {
            logger.warning("cache: skipping \(directory): no usable meta, and something in it is not wxmediafs's")
        } else {
            logger.debug("cache: skipping \(directory): no meta yet (an item being fetched)")
        }
    }
}

/// An item folder as a scan found it.
struct ScannedItem {
    let key: CacheKey
    let item: CachedItem
    let blocks: [(index: Int, length: Int)]
    /// The newest block file's mtime (0 without blocks): where its recency starts.
    let newest: Double
}

extension CacheIndex {
    /// Takes in what a scan found of an item. What the index already knows of it (stored or read since the scan
    /// began) wins; blocks it does not know are added.
    mutating func adopt(_ scanned: ScannedItem) {
        let fresh = entries[scanned.key]?.hasItem != true
        if fresh { store(scanned.item, key: scanned.key) }
        for block in scanned.blocks where entries[scanned.key]?.blocks[block.index] == nil {
            addBlock(scanned.key, index: block.index, length: block.length, verified: false)
        }
        if fresh { touch(scanned.key) }  // an item used since the scan began keeps its recency
    }
}

