import WeChatAPI

/// A request to the callback as the HTTP layer hands it over: the method, the query parameters (percent-decoded;
/// the first of a repeated name) and the body, which the HTTP layer has already bounded by `bodyLimit`.
public struct CallbackRequest: Sendable {
    public enum Method: Sendable { case get, post, other }

    public var method: Method
    public var query: [String: String]
    public var body: [UInt8]

    public init(method: Method, query: [String: String], body: [UInt8] = []) {
        self.method = method
        self.query = query
        self.body = body
    }
}

/// What the callback answers when it accepts a request: `success` for a push, the (decrypted) `echostr` for the
/// URL verification; always `text/plain`. What was recorded is for the log.
public struct CallbackAnswer: Sendable, Equatable {
    public var body: String
    public var recorded: [FollowerMessage]

    public init(body: String, recorded: [FollowerMessage] = []) {
        self.body = body
        self.recorded = recorded
    }
}
