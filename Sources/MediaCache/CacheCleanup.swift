import Foundation

/// What an owner may delete (only the owner calls these; a guest deletes nothing at start).
///
/// - A temporary is deleted when the pid in its name is not a live process (its write can never finish), or when
///   it has not changed for `abandonedAfter` (a write takes milliseconds: that pid was reused by another program).
/// - An item file without a usable meta is live work while young (a stream without Content-Length writes its meta
///   only at its end): it is deleted only when untouched for `abandonedAfter` and it starts with our magic.
/// - Only names the cache writes are ever unlinked, and only regular files.
enum CacheCleanup {
    static let abandonedAfter: Double = 3600

    static func isAbandoned(temporary path: String, pid: Int32, now: Double) -> Bool {
        guard ProcessLiveness.isAlive(pid) else { return true }
        guard let status = FileStatus(path) else { return false }
        return now - status.modified >= abandonedAfter
    }

    /// Whether the regular file at `path` starts with an item file's magic (any version).
    static func claimsOurMagic(_ path: String) -> Bool {
        guard FileStatus(path)?.isRegular == true, let fd = try? ItemFile.open(path, writable: false) else { return false }
        defer { close(fd) }
        return ((try? ItemFile.claimedVersion(fd, path)) ?? 0) != 0
    }

    /// Unlinks an item file if it is a regular file (a link or folder of that name is not ours).
    static func removeItemFile(_ path: String) {
        if FileStatus(path)?.isRegular == true { unlink(path) }
    }
}
