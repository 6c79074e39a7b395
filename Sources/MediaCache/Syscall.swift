#if canImport(Glibc)
import Glibc
#endif

/// The one choke point for system calls: retries EINTR, and turns -1 into `CacheIOError` with errno.
/// Never for `close`: see `CacheFiles.closeOnce`.
@discardableResult
func syscall<T: FixedWidthInteger>(_ what: @autoclosure () -> String, _ body: () -> T) throws -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw CacheIOError(errno: code, operation: what())
    }
}

/// A failed disk operation with its errno (ENOSPC for a full disk, …).
public struct CacheIOError: Error, Sendable, CustomStringConvertible {
    public let errno: Int32
    public let operation: String

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }

    /// Out of descriptors or memory: the process's trouble, not the file's; the same read may work later.
    public var isTransient: Bool { [EMFILE, ENFILE, ENOMEM, ENOBUFS, EAGAIN].contains(errno) }
}
