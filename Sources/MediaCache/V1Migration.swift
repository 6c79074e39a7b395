import Foundation
import Logging

/// Moves a cache of format 1 (`<dir>/v1/<kind>/<id>/{meta,N.blk}`) into format 2, item by item (owner only): the
/// meta and every block that passes its format-1 check are written into the item's file, then the old folder
/// goes. A block that fails its check is not carried over (it is fetched again if the server still has it); a
/// folder that is not ours, or has files that are not ours, is left where it is. Items past WeChat's 3 days
/// survive the move: that is why they are moved, not dropped.
enum V1Migration {
    static func root(_ directory: String) -> String { directory + "/v1" }

    /// Every item of `<dir>/v1`, then the folder itself if nothing is left in it.
    static func migrateAll(directory: String, root: String, blockSize: Int, logger: Logger) {
        let old = Self.root(directory)
        guard FileStatus(old)?.isDirectory == true else { return }
        let began = Date()
        var items = 0
        for kind in CacheKey.Kind.allCases {
            let folder = old + "/" + kind.rawValue
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where CacheKey.isMediaID(name) {
                if migrate(CacheKey(kind: kind, id: name), directory: directory, root: root, blockSize: blockSize, logger: logger) { items += 1 }
            }
            rmdir(folder)
        }
        rmdir(old)
        logger.info("cache: moved \(items) items from format 1 to format 2", metadata: ["seconds": "\(Date().timeIntervalSince(began))"])
    }

    /// One item's folder, if there is one; whether an item was written.
    @discardableResult
    static func migrate(_ key: CacheKey, directory: String, root: String, blockSize: Int, logger: Logger) -> Bool {
        let folder = "\(Self.root(directory))/\(key.kind.rawValue)/\(key.id)"
        guard FileStatus(folder)?.isDirectory == true else { return false }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let ours = names.allSatisfy { $0 == "meta" || V1Format.blockIndex($0) != nil || $0.contains(".tmp-") }
        guard ours else {
            logger.warning("cache: leaving \(folder) in place: it holds files that are not wxmediafs's")
            return false
        }
        var moved = false
        if let bytes = try? CacheFiles.readAll(folder + "/meta"), let item = try? JSONDecoder().decode(CachedItem.self, from: Data(bytes)),
           item.format == 1, item.blockSize == blockSize {
            let path = "\(root)/\(key.kind.rawValue)/\(key.id)"
            do {
                let written = try ItemFile.storeMeta(path, key: key, json: bytes, blockSize: blockSize, blockCount: item.blockCount(), knownNonce: 0)
                for name in names {
                    guard let index = V1Format.blockIndex(name), index < item.blockCount(),
                          case .data(let data, let checksum)? = try? V1Format.readVerifiedBlock(
                            folder + "/" + name, index: index, identity: V1Format.identity(key), length: item.blockLength(index))
                    else { continue }
                    _ = try ItemFile.storeBlock(path, key: key, blockSize: blockSize, known: nil, block: index,
                                                CheckedBlock(bytes: data, checksum: checksum), knownNonce: written.nonce)
                }
                moved = true
            } catch {
                logger.warning("cache: cannot move \(key) to format 2 yet (\(error)); it stays in format 1 until the next start")
                return false
            }
        }
        for name in names { unlink(folder + "/" + name) }
        rmdir(folder)
        return moved
    }
}
