import Foundation
import MediaCache
import WeChatAPI

/// Directories: the root, `media/`, `hd/`, the inbox, `upload/`, `.wxmediafs/`.
extension MediaFileSystem {
    // MARK: directories

    public func readdir(_ inode: UInt64) async throws -> [DirectoryEntry] {
        var entries = [
            DirectoryEntry(name: ".", inode: inode, isDirectory: true),
            DirectoryEntry(name: "..", inode: Inode.root, isDirectory: true),
        ]
        switch inode {
        case Inode.root:
            entries += [
                DirectoryEntry(name: "media", inode: Inode.media, isDirectory: true),
                DirectoryEntry(name: "hd", inode: Inode.hd, isDirectory: true),
                DirectoryEntry(name: "inbox", inode: Inode.inbox, isDirectory: true),
                DirectoryEntry(name: ".wxmediafs", inode: Inode.control, isDirectory: true),
            ]
            if uploads != nil { entries.append(DirectoryEntry(name: "upload", inode: Inode.upload, isDirectory: true)) }
        case Inode.upload, Inode.uploadTypes:
            entries[1].inode = inode == Inode.upload ? Inode.root : Inode.upload
            entries += uploadListing(inode)
        case Inode.control:
            entries.append(DirectoryEntry(name: "stats", inode: Inode.stats, isDirectory: false))
        case Inode.media, Inode.hd:
            let kinds = MediaKinds.kinds(in: inode)
            // Only names whose read can succeed: complete, or young enough to be fetched (and not gone).
            let created = inode == Inode.media ? inbox().created : [:]
            let now = context.clock.now()
            var summaries: [ItemSummary] = []
            for kind in kinds { summaries += await context.cache.summaries(kind) }
            let listed = context.life.listable(summaries, now: now, created: created)
                .sorted { ($0.key.id, $0.fileExtension) < ($1.key.id, $1.fileExtension) }
            for summary in listed {
                let key = summary.key
                // No item is made for a listing (the kernel does not hold readdir's entries): a known inode,
                // or a stable placeholder number above every real one (d_ino is informational).
                let number = inodes.locked { $0.inode(of: key) } ?? Self.placeholderInode(key)
                entries.append(DirectoryEntry(name: "\(key.id).\(summary.fileExtension)", inode: number, isDirectory: false))
            }
            if inode == Inode.media {
                // Ids from follower messages, not fetched yet, while the server may still have them.
                var known = Set(listed.map(\.key.id)).union(unknownIDs.locked { $0.refuted })
                for message in messages.messages where context.life.isYoung(createdAt: Double(message.createTime), now: now) {
                    for (id, type) in message.media where known.insert(id.rawValue).inserted {
                        let key = CacheKey(kind: .media, id: id.rawValue)
                        let ext = type == "thumb" ? "jpg" : message.likelyExtension
                        entries.append(DirectoryEntry(name: "\(id).\(ext)", inode: Self.placeholderInode(key), isDirectory: false))
                    }
                }
            }
        default:
            guard let children = inbox().children(of: inode) else { throw FSError(.notDirectory, "inode \(inode) is not a directory") }
            entries[1].inode = inode == Inode.inbox ? Inode.root : Inode.inbox
            entries += children
        }
        return entries
    }
}
