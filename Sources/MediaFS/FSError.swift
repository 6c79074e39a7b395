import WeChatAPI

/// A filesystem failure: the errno to answer, a message for the log, and the API error behind it.
public struct FSError: Error, Sendable, CustomStringConvertible {
    public var errno: Errno
    public var message: String
    public var cause: WeChatError?
    /// Already said once in the log where it was found: answering it again needs no log line per request.
    public var logged: Bool

    public init(_ errno: Errno, _ message: String, cause: WeChatError? = nil, logged: Bool = false) {
        self.errno = errno
        self.message = message
        self.cause = cause
        self.logged = logged
    }

    public var description: String { message }
}
