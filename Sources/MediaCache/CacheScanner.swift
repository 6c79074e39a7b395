import Foundation
import Logging

/// Builds the index from disk at start: metas that decode, block files by name and size (verified later,
/// on first read), leftovers of interrupted writes removed. Recency starts from the files' mtimes.
enum CacheScanner {
    static func scan(root: String, blockSize: Int, logger: Logger) -> CacheIndex {
        var index = CacheIndex()
        let files = FileManager.default
        var ordered: [(Double, CacheKey)] = []
        for kind in CacheKey.Kind.allCases {
            let folder = root + "/" + kind.rawValue
            for id in (try? files.contentsOfDirectory(atPath: folder)) ?? [] where !id.hasPrefix(".") && id.utf8.count <= 128 {
                let key = CacheKey(kind: kind, id: id)
                let directory = folder + "/" + id
                var newest = 0.0
                if let bytes = try? CacheFiles.readAll(directory + "/meta"),
                   let item = try? JSONDecoder().decode(CachedItem.self, from: Data(bytes)), item.format == 1, item.blockSize == blockSize {
                    index.entries[key, default: .init()].item = item
                } else {
                    // No usable meta: the blocks cannot be interpreted; drop the folder.
                    try? files.removeItem(atPath: directory)
                    continue
                }
                for name in (try? files.contentsOfDirectory(atPath: directory)) ?? [] {
                    let path = directory + "/" + name
                    if name.contains(".tmp-") {
                        unlink(path)
                        continue
                    }
                    guard name.hasSuffix(".blk"), let block = Int(name.dropLast(4)),
                          let attributes = try? files.attributesOfItem(atPath: path),
                          let size = (attributes[.size] as? NSNumber)?.intValue, size > BlockFormat.headerSize
                    else { continue }
                    index.addBlock(key, index: block, length: size - BlockFormat.headerSize, verified: false)
                    newest = max(newest, (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
                }
                ordered.append((newest, key))
            }
        }
        for (_, key) in ordered.sorted(by: { $0.0 < $1.0 }) { index.touch(key) }
        logger.debug("cache scanned", metadata: ["items": "\(index.entries.count)", "bytes": "\(index.totalBytes)"])
        return index
    }
}
