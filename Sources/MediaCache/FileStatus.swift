import Foundation

/// `lstat` of a path (symbolic links are not followed: a link is never taken for one of our files or folders).
struct FileStatus {
    let isRegular: Bool
    let isDirectory: Bool
    let size: Int
    let modified: Double

    init?(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        isRegular = info.st_mode & S_IFMT == S_IFREG
        isDirectory = info.st_mode & S_IFMT == S_IFDIR
        size = Int(info.st_size)
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }
}

/// Whether a pid names a live process (EPERM: alive, owned by someone else). Only meaningful within one pid
/// namespace: a writer in another container looks dead, and losing its temporary only fails that one write.
enum ProcessLiveness {
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
