import Foundation
/// An API failure with its context: the WeChat `errcode` and `rid` when the server gave them, never a token.
///
/// A struct over a small enum (as async-http-client's `HTTPClientError`), with a stable `shortDescription`
/// fit for metric labels and a one-line `description` fit for a user.
public struct WeChatError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered `{"errcode":N,…}` with N ≠ 0.
        case api(errcode: Int)
        /// An HTTP status that is not a success (for example 404 from a video CDN, 500).
        case http(status: Int)
        /// Connection refused, reset, truncated body.
        case transport
        /// A deadline or an idle timeout passed.
        case timeout
        /// An answer that is neither media bytes nor a JSON we understand (an HTML error page, say).
        case badResponse
        /// A local problem: a missing secret, an unreadable file, a bad argument.
        case local
        /// A `video_url` kept from an earlier answer no longer serves the video (403/404/410 or a page that is
        /// not media): signed CDN addresses expire. The owner of the URL asks media/get for a fresh one.
        case expiredURL
    }

    public var kind: Kind
    /// What happened, without any secret (errmsg from the server is kept, it never holds the token).
    public var message: String
    /// The request id the server put in `errmsg` (`rid: …`), for support tickets.
    public var rid: String?
    /// Which API endpoint answered (`media/get`, `stable_token`, `cdn`, …).
    public var endpoint: String?

    public init(_ kind: Kind, _ message: String, rid: String? = nil, endpoint: String? = nil) {
        self.kind = kind
        self.message = message
        self.rid = rid
        self.endpoint = endpoint
    }

    public var errcode: Int? {
        if case .api(let code) = kind { return code }
        return nil
    }

    public var category: WeChatErrorCategory {
        switch kind {
        case .api(let code): return WeChatErrorCategory(errcode: code)
        case .http(let status): return status >= 500 ? .serverError : .badResponse
        case .transport: return .transport
        case .timeout: return .timeout
        case .badResponse: return .badResponse
        case .local: return .local
        case .expiredURL: return .expiredURL
        }
    }

    /// Stable, low-cardinality label: `errcode_40007`, `http_500`, `transport`, `timeout`, …
    public var shortDescription: String {
        switch kind {
        case .api(let code): return "errcode_\(code)"
        case .http(let status): return "http_\(status)"
        case .transport: return "transport"
        case .timeout: return "timeout"
        case .badResponse: return "bad_response"
        case .local: return "local"
        case .expiredURL: return "expired_url"
        }
    }

    /// One line for a user: the cause first, then the code (`media_id not found or expired (40007)`).
    public var description: String {
        var line: String
        switch kind {
        case .api(let code): line = "\(category.summary) (\(code))"
        case .http(let status): line = "\(category.summary) (HTTP \(status))"
        default: line = category.summary
        }
        if kind == .transport {
            // The HTTP library's own words name its internals (`connection reset (error set): … (errno: 111)`).
            return line + ": " + (endpoint.map { "\($0): " } ?? "") + plainTransportReason
        }
        if !message.isEmpty, message != category.summary { line += ": \(message)" }
        if let rid, !message.contains(rid) { line += " [rid \(rid)]" }
        return line
    }

    /// A transport failure in the system's words: the errno the HTTP library names, else a known phrase.
    public var plainTransportReason: String {
        if let range = message.range(of: "errno: "), let number = Int32(message[range.upperBound...].prefix { $0.isNumber }) {
            return String(cString: strerror(number))
        }
        for phrase in ["Connection refused", "Connection reset", "No route to host", "Network is unreachable", "Name or service not known",
                       "certificate", "TLS"] where message.localizedCaseInsensitiveContains(phrase) {
            return phrase
        }
        return "the connection failed"
    }
}
