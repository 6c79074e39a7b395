import Synchronization

/// When a failed request may be sent again.
///
/// A GET can be repeated at will. A POST that creates something cannot: an upload re-sent after a timeout, a
/// reset or a 5xx may have been stored the first time, and the retry would make a second media_id. So an
/// upload is re-sent only when it surely never reached the server (see `UnsentRequest`).
enum ResendRule: Sendable {
    /// Any retryable failure is retried (downloads, token fetches).
    case whenRetryable
    /// Only an `UnsentRequest` is retried; besides, a rejected token is replaced once as for every call
    /// (a 40001/42001 answer means the server refused the request before looking at it).
    case onlyIfUnsent
}

/// A failure of a request whose body never left this process: no response came, and the body was never
/// asked for its first byte. AsyncHTTPClient asks for the body only once a connection is up and the head
/// has been written, so this covers a refused connection, a connect timeout, a DNS or TLS failure, and a
/// connection lost before the body started: the server cannot have processed such a request.
///
/// Judged on what the body saw rather than on error types, which differ by platform and transport
/// (`NIOConnectionError`, `IOError`, `HTTPClientError.connectTimeout`, Network.framework errors).
struct UnsentRequest: Error {
    let error: WeChatError
}

/// Records whether a request body was ever asked for a chunk.
final class BodyStartProbe: Sendable {
    private let started = Atomic(false)

    var hasStarted: Bool { started.load(ordering: .acquiring) }
    func markStarted() { started.store(true, ordering: .releasing) }
}
