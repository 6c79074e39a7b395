import MediaCache
import WeChatAPI

/// `inbox/<YYYY-MM-DD>/<FromUserName>/<MsgId>.<ext>`: each recorded follower message as a symbolic link to its
/// media (`../../../media/<id>`, the bare id, which resolves whatever the real extension turns out to be). Days
/// are China days (UTC+8), as WeChat's. A message past the 3-day media life is shown only while its media is
/// cached; a sender name that is not a plain file name is left out.
struct InboxTree {
    enum Node: Equatable {
        case directory(name: String, children: [DirectoryEntry])
        case link(target: String)
    }

    private(set) var nodes: [UInt64: Node] = [:]
    private(set) var top: [DirectoryEntry] = []
    /// The earliest CreateTime of a message naming each media id (a video's thumb included): its creation time.
    private(set) var created: [String: Int64] = [:]

    init(messages: [FollowerMessage], now: Double, life: Double, isCached: (CacheKey) -> Bool) {
        var days: [String: [String: [DirectoryEntry]]] = [:]
        for message in messages {
            for (id, _) in message.media { created[id.rawValue] = min(created[id.rawValue] ?? .max, message.createTime) }
        }
        for message in messages where Self.isPlainName(message.fromUser) {
            let key = CacheKey(kind: .media, id: message.mediaID.rawValue)
            guard now - Double(message.createTime) < life || isCached(key) else { continue }
            let day = QuotaDay(containing: Double(message.createTime)).description
            let name = "\(message.msgID ?? message.mediaID.rawValue).\(message.likelyExtension)"
            let path = "\(day)/\(message.fromUser)/\(name)"
            let inode = Self.inode(path)
            nodes[inode] = .link(target: "../../../media/\(message.mediaID)")
            days[day, default: [:]][message.fromUser, default: []].append(DirectoryEntry(name: name, inode: inode, isDirectory: false, isSymlink: true))
        }
        for (day, senders) in days.sorted(by: { $0.key < $1.key }) {
            var dayEntries: [DirectoryEntry] = []
            for (sender, links) in senders.sorted(by: { $0.key < $1.key }) {
                let inode = Self.inode("\(day)/\(sender)")
                nodes[inode] = .directory(name: sender, children: links.sorted { $0.name < $1.name })
                dayEntries.append(DirectoryEntry(name: sender, inode: inode, isDirectory: true))
            }
            let inode = Self.inode(day)
            nodes[inode] = .directory(name: day, children: dayEntries)
            top.append(DirectoryEntry(name: day, inode: inode, isDirectory: true))
        }
    }

    func children(of inode: UInt64) -> [DirectoryEntry]? {
        if inode == Inode.inbox { return top }
        if case .directory(_, let children) = nodes[inode] { return children }
        return nil
    }

    /// FNV-1a of the path under inbox/, in the inbox range.
    static func inode(_ path: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "inbox/\(path)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return NodeID.inboxBit | (hash & (NodeID.inboxBit - 1))
    }

    /// An OpenID-like name: no slash, not `.` or `..`, at most 255 bytes, printable.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= 255
            && !name.contains("/") && name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}
