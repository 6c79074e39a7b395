#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small file that several processes sharing a cache directory each add to (`quota.json`): every change is a
/// read-modify-write under an exclusive `flock` of `<path>.lock`, and the new content is written to a temporary
/// file and renamed, so a reader without the lock sees the old file or the new one, never a torn one.
///
/// The lock file is never deleted (as `CacheLock`'s: unlinking a lock file others have open would let two
/// processes lock two different files of one name). The lock is held for a read and a rename of a few hundred
/// bytes; it is taken on `DiskIO`'s threads, never on the cooperative pool.
public struct SharedDocument: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    var lockPath: String { path + ".lock" }

    /// The current bytes (nil when there is no file), without the lock.
    public func read() async throws -> [UInt8]? {
        let path = path
        return try await DiskIO.run { try CacheFiles.readAll(path) }
    }

    /// Under the lock: reads the current bytes (nil when there is no file) and writes what `change` returns
    /// (nil: leave the file as it is). Returns the bytes the file holds afterwards.
    @discardableResult
    public func update(_ change: @escaping @Sendable ([UInt8]?) -> [UInt8]?) async throws -> [UInt8]? {
        let path = path, lockPath = lockPath
        return try await DiskIO.run {
            let fd = try syscall("open \(lockPath)") { open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
            defer { close(fd) }  // releases the lock
            try syscall("lock \(lockPath)") { flock(fd, LOCK_EX) }
            let current = try CacheFiles.readAll(path)
            guard let replacement = change(current) else { return current }
            try CacheFiles.writeAtomically(path, [replacement])
            return replacement
        }
    }

    /// Removes temporaries of this file left by writers that died mid-write (`<name>.tmp-<pid>-<n>`).
    public func removeAbandonedTemporaries() async {
        let path = path
        _ = try? await DiskIO.run {
            let folder = (path as NSString).deletingLastPathComponent
            let prefix = (path as NSString).lastPathComponent + ".tmp-"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
                let rest = name.dropFirst(prefix.count)
                guard let pid = rest.split(separator: "-").first.flatMap({ Int32($0) }), !ProcessLiveness.isAlive(pid) else { continue }
                unlink(folder + "/" + name)
            }
        }
    }
}
