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
        var ordered: [(Double, CacheKey)] = []
        for kind in CacheKey.Kind.allCases {
            let folder = root + "/" + kind.rawValue
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let directory = folder + "/" + name
                guard let key = CacheKey(kind: kind, fileName: name), FileStatus(directory)?.isDirectory == true else {
                    logger.warning("cache: skipping \(directory): not an item folder of wxmediafs")
                    continue
                }
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                guard let item = readMeta(directory, blockSize: blockSize) else {
                    skipWithoutMeta(directory, names: names, cleanup: cleanup, now: now, logger: logger)
                    continue
                }
                index.store(item, key: key)
                var newest = 0.0
                for name in names {
                    let path = directory + "/" + name
                    switch ItemFileName(name) {
                    case .block(let block):
                        guard let file = FileStatus(path), file.isRegular, file.size > BlockFormat.headerSize,
                              file.size - BlockFormat.headerSize <= blockSize else { continue }
                        index.addBlock(key, index: block, length: file.size - BlockFormat.headerSize, verified: false)
                        newest = max(newest, file.modified)
                    case .temporary(let pid):
                        if cleanup, CacheCleanup.isAbandoned(temporary: path, pid: pid, now: now) { unlink(path) }
                    case .meta, .foreign:
                        continue
                    }
                }
                ordered.append((newest, key))
            }
        }
        for (_, key) in ordered.sorted(by: { $0.0 < $1.0 }) { index.touch(key) }
        logger.debug("cache scanned", metadata: ["items": "\(index.entries.count)", "bytes": "\(index.totalBytes)"])
        return index
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
