import Foundation
import MediaCache
import WeChatAPI

/// `inbox/`: the follower messages recorded in the cache directory, as folders and links to their media.
extension MediaFileSystem {
    /// The inbox as the recorded messages make it now: made again when the messages file changes, and at most
    /// once a minute otherwise (messages leave it as they pass the media life), not for every lookup or getattr.
    func inbox() -> InboxTree {
        let (stamp, recorded) = messages.current
        let now = context.clock.now()
        let key = "\(stamp)/\(Int(now / 60))"
        if let tree = inboxCache.locked({ $0?.key == key ? $0?.tree : nil }) { return tree }
        let tree = InboxTree(messages: recorded, now: now, life: context.life.seconds) { context.cache.item($0) != nil }
        inboxCache.locked { $0 = (key, tree) }
        return tree
    }

    func inboxAttributes(_ inode: UInt64) throws -> FileAttributes {
        switch inbox().nodes[inode] {
        case .directory?: return directory(inode)
        case .link(let target)?:
            let id = String(target.split(separator: "/").last ?? "")
            return FileAttributes(inode: inode, size: Int64(target.utf8.count), isDirectory: false, permissions: 0o777,
                                  modified: inbox().created[id].map(Double.init) ?? started, symlinkTarget: target)
        case nil: throw FSError(.noEntry, "inbox entry \(inode) is gone")
        }
    }

    /// The target of an `inbox/` link.
    public func readlink(_ inode: UInt64) async throws -> String {
        guard case .link(let target)? = inbox().nodes[inode] else { throw FSError(.invalid, "inode \(inode) is not a link") }
        return target
    }
}
