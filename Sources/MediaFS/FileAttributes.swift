import Foundation

/// What `stat` shows for a node.
public struct FileAttributes: Sendable, Equatable {
    public var inode: UInt64
    public var size: Int64
    public var isDirectory: Bool
    /// Permission bits only (0o444 files, 0o555 directories).
    public var permissions: UInt32
    public var modified: Double
    /// Set for a symbolic link (`inbox/…`): what it points to.
    public var symlinkTarget: String?

    public init(inode: UInt64, size: Int64, isDirectory: Bool, permissions: UInt32, modified: Double, symlinkTarget: String? = nil) {
        self.inode = inode
        self.size = size
        self.isDirectory = isDirectory
        self.permissions = permissions
        self.modified = modified
        self.symlinkTarget = symlinkTarget
    }
}

public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    public var inode: UInt64
    public var isDirectory: Bool
    public var isSymlink = false
}

/// How the kernel should cache an open file.
public struct OpenedFile: Sendable {
    public var handle: UInt64
    /// Media are immutable: keep the page cache across opens.
    public var keepCache: Bool
    /// Synthetic files (stats) change under the same size: bypass the page cache.
    public var directIO: Bool
}

public struct FSConfiguration: Sendable {
    /// How long an invalid id (40007) answers ENOENT without asking again.
    public var negativeTTL: Double = 60
    /// Kernel entry/attribute timeouts for items (they never change).
    public var itemTimeout: Double = 86_400
    /// The first window of a video read and its ceiling as sequential reads double it.
    public var videoWindow: Int64 = 1 << 20
    public var videoWindowMax: Int64 = 32 << 20
    /// Blocks kept in memory when the disk refused them (full disk), so reads still get correct bytes.
    public var memoryBlocks: Int = 64
    /// Ids remembered as not found at most (the oldest are dropped first; expired ones go at every insert).
    public var negativeCacheLimit: Int = 10_000
    /// How many invalid ids a mount may ask WeChat about (UnknownIDGuard).
    var unknownIDs = UnknownIDGuard.Limits()
    /// Who may write in `upload/` (the mount's owner); everyone else gets EACCES there.
    public var owner: UInt32 = getuid()

    public init() {}
}
