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

    /// One item's folder, if there is one; whether the item was moved. The folder goes only once its meta and
    /// every block that passed its check are in the new file (a block that fails its check is dropped); on any
    /// error, or with a file in it that is not ours or a temporary of a live writer, it stays for the next start.
    @discardableResult
    static func migrate(_ key: CacheKey, directory: String, root: String, blockSize: Int, logger: Logger) -> Bool {
        let folder = "\(Self.root(directory))/\(key.kind.rawValue)/\(key.id)"
        guard FileStatus(folder)?.isDirectory == true else { return false }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let now = Date().timeIntervalSince1970
        var temporaries: [String] = []
        for name in names where name != "meta" && V1Format.blockIndex(name) == nil {
            guard let pid = ItemFileName.temporaryWriter(name, of: { $0 == "meta" || V1Format.blockIndex($0) != nil }), CacheCleanup.isAbandoned(temporary: folder + "/" + name, pid: pid, now: now) else {
                logger.warning("cache: leaving \(folder) in format 1 for now: \(name) is not wxmediafs's, or is being written")
                return false
            }
            temporaries.append(name)
        }
        do {
            guard let bytes = try CacheFiles.readAll(folder + "/meta"),
                  let item = try? JSONDecoder().decode(CachedItem.self, from: Data(bytes)), item.format == 1, item.blockSize == blockSize
            else {
                remove(folder, names)  // no usable meta: its blocks cannot be interpreted (as format 1 itself did)
                return false
            }
            let path = "\(root)/\(key.kind.rawValue)/\(key.id)"
            let written = try ItemFile.storeMeta(path, key: key, json: bytes, blockSize: blockSize, blockCount: item.blockCount(), knownNonce: 0)
            guard written.kept else { throw CacheIOError(errno: EEXIST, operation: "write \(path) (not an item file of wxmediafs)") }
            for name in names {
                guard let index = V1Format.blockIndex(name), index < item.blockCount() else { continue }
                let block = try V1Format.readVerifiedBlock(folder + "/" + name, index: index, identity: V1Format.identity(key),
                                                           length: item.blockLength(index))
                guard case .data(let data, let checksum) = block else { continue }  // fails its check: fetched again later
                let stored = try ItemFile.storeBlock(path, key: key, blockSize: blockSize, known: nil, block: index,
                                                     CheckedBlock(bytes: data, checksum: checksum), knownNonce: written.nonce)
                guard stored.kept else { throw CacheIOError(errno: EEXIST, operation: "write block \(index) of \(path)") }
            }
        } catch {
            logger.warning("cache: cannot move \(key) to format 2 yet (\(error)); it stays in format 1 until the next start")
            return false
        }
        remove(folder, names)
        return true
    }

    /// Unlinks the folder's files (ours: checked by the caller) and the folder.
    private static func remove(_ folder: String, _ names: [String]) {
        for name in names { unlink(folder + "/" + name) }
        rmdir(folder)
    }
}
