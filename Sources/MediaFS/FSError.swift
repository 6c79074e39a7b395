import WeChatAPI

/// A filesystem failure: the errno to answer, a message for the log, and the API error behind it.
public struct FSError: Error, Sendable, CustomStringConvertible {
    public var errno: Errno
    public var message: String
    public var cause: WeChatError?

    public init(_ errno: Errno, _ message: String, cause: WeChatError? = nil) {
        self.errno = errno
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
