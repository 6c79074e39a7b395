#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX error number with readable names (after swift-system's `Errno`): what the filesystem answers.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let notPermitted = Errno(rawValue: EPERM)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let io = Errno(rawValue: EIO)
    public static let accessDenied = Errno(rawValue: EACCES)
    public static let exists = Errno(rawValue: EEXIST)
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    public static let isDirectory = Errno(rawValue: EISDIR)
    public static let invalid = Errno(rawValue: EINVAL)
    public static let fileTooLarge = Errno(rawValue: EFBIG)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let readOnlyFS = Errno(rawValue: EROFS)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    public static let quota = Errno(rawValue: EDQUOT)
    public static let notSupported = Errno(rawValue: ENOTSUP)
    public static let badFile = Errno(rawValue: EBADF)
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    public static let interrupted = Errno(rawValue: EINTR)

    /// The symbolic name (`ENOENT`), for metric labels and summaries; `errno N` for one not named here.
    public var symbol: String {
        let names: [CInt: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", EACCES: "EACCES", EEXIST: "EEXIST", ENOTDIR: "ENOTDIR",
            EISDIR: "EISDIR", EINVAL: "EINVAL", EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS", ETIMEDOUT: "ETIMEDOUT",
            EDQUOT: "EDQUOT", ENOTSUP: "ENOTSUP", EBADF: "EBADF", ENAMETOOLONG: "ENAMETOOLONG", EINTR: "EINTR",
        ]
        return names[rawValue] ?? "errno \(rawValue)"
    }

    /// The name of an errors key: a name as it is, a number (older documents) by its name.
    public static func name(ofKey key: String) -> String {
        Int32(key).map { Errno(rawValue: $0).symbol } ?? key
    }

    public var description: String {
        guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
        return String(cString: text)
    }
}
