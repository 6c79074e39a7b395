/// Why a push was refused, as the HTTP status WeChat (or a prober) gets and one line for the log. The reason is
/// made here from fixed text and never holds the token, the key or any signature.
public struct CallbackRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Status: Int, Sendable {
        case badRequest = 400
        case forbidden = 403
        case methodNotAllowed = 405
        case contentTooLarge = 413
        case internalError = 500
        case unavailable = 503
    }

    public let status: Status
    public let reason: String

    public init(_ status: Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status.rawValue) \(reason)" }
}
