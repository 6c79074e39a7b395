import MediaCache
import WeChatAPI

/// Fixed inodes and the parsing of names in `media/` and `hd/`.
public enum Inode {
    public static let root: UInt64 = 1
    public static let media: UInt64 = 2
    public static let hd: UInt64 = 3
    public static let control: UInt64 = 4
    public static let stats: UInt64 = 5
    /// `inbox/`: the media of follower messages (`wxmediafs ingest --cache-dir`), by day and sender.
    public static let inbox: UInt64 = 6
    /// The days, senders and links under `inbox/` are numbered from a hash of their path with this bit set
    /// (item numbers stay far below it, listing placeholders use the bit above).
    public static let inboxBit: UInt64 = NodeID.inboxBit
    /// `upload/` and its four type directories (`UploadType.allCases` order).
    public static let upload: UInt64 = 7
    public static let uploadTypes: ClosedRange<UInt64> = 8...11
    /// Files in `upload/<type>/` are numbered with this bit set (below `inboxBit`, far above item numbers).
    public static let uploadBit: UInt64 = NodeID.uploadBit
    /// Items are numbered from here, never reused within a mount.
    public static let firstItem: UInt64 = 1000
}

/// A name in `media/` or `hd/`: `<id>` or `<id>.<ext>`. Malformed names never reach the network.
struct ItemName: Equatable {
    let id: MediaID
    let fileExtension: String?

    init?(_ name: String) {
        var base = Substring(name)
        var ext: String?
        if let dot = name.lastIndex(of: ".") {
            base = name[..<dot]
            let candidate = name[name.index(after: dot)...]
            guard !candidate.isEmpty, candidate.count <= 8, candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
            ext = candidate.lowercased()
        }
        guard let id = MediaID(base) else { return nil }
        self.id = id
        self.fileExtension = ext
    }
}

