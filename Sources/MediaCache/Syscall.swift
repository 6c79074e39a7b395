#if canImport(Glibc)
import Glibc
#endif

/// The one choke point for system calls: retries EINTR, and turns -1 into `CacheIOError` with errno.
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
    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }
}
