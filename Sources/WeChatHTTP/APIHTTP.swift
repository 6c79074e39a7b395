import Locking
import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The process-wide HTTP client and the one place AsyncHTTPClient errors become `WeChatError`s.
///
/// A single static client: it lives as long as the process (so it is never torn down under a reader) and
/// keeps connections to the API and the CDN alive between calls.
public enum APIHTTP {
    /// Seconds a call may go without receiving a byte (AsyncHTTPClient's read timeout: waiting for the answer's
    /// head, or between two chunks of its body). Process-wide: set it before the first call (`APITimeouts`).
    static let idleTimeout = Mutex<Double>(30)

    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        let idle = idleTimeout.locked { $0 }
        configuration.timeout = .init(connect: .seconds(10), read: .milliseconds(Int64(idle * 1000)))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        // A refused or failed connection fails the request at once: `RetryPolicy` is the one retry layer (4 tries
        // in about 2 s), not the pool's own backoff up to the 10 s connect timeout on every try (an unreachable
        // API took 42 s to report at mount time).
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends a request; transport failures come back as `WeChatError` without any URL (URLs hold tokens).
    static func send(_ request: HTTPClientRequest, endpoint: String, timeout: TimeAmount, client: HTTPClient = client) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: timeout)
        } catch {
            throw translate(error, endpoint: endpoint)
        }
    }

    static func translate(_ error: any Error, endpoint: String) -> WeChatError {
        if let error = error as? WeChatError { return error }
        if error is CancellationError { return WeChatError(.transport, "cancelled", endpoint: endpoint) }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return WeChatError(.timeout, "\(endpoint): \(error.shortDescription)", endpoint: endpoint)
            case .cancelled:
                return WeChatError(.transport, "cancelled", endpoint: endpoint)
            default:
                return WeChatError(.transport, "\(endpoint): \(error.shortDescription)", endpoint: endpoint)
            }
        }
        return WeChatError(.transport, "\(endpoint): \(Redaction.redact(String(describing: error)))", endpoint: endpoint)
    }

    /// Reads at most `limit` bytes of a body (for JSON answers); more than that is a bad response.
    static func collect(_ response: HTTPClientResponse, limit: Int, endpoint: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                bytes.append(contentsOf: chunk.readableBytesView)
                if bytes.count > limit {
                    throw WeChatError(.badResponse, "\(endpoint): answer larger than \(limit) bytes", endpoint: endpoint)
                }
            }
        } catch {
            throw translate(error, endpoint: endpoint)
        }
        return bytes
    }

    /// GET or POST returning a JSON object; an `errcode` ≠ 0 is thrown as a typed error.
    static func json(_ request: HTTPClientRequest, endpoint: String, timeout: TimeAmount = .seconds(30),
                     client: HTTPClient = client) async throws -> APIJSON {
        let response = try await send(request, endpoint: endpoint, timeout: timeout, client: client)
        let body = try await collect(response, limit: 1 << 20, endpoint: endpoint)
        guard response.status == .ok else {
            throw WeChatError(.http(status: Int(response.status.code)), "\(endpoint) answered HTTP \(response.status.code)", endpoint: endpoint)
        }
        guard let json = APIJSON(body) else {
            throw WeChatError(.badResponse, "\(endpoint) did not answer JSON", endpoint: endpoint)
        }
        if let error = json.error(endpoint: endpoint) { throw error }
        return json
    }
}

extension String {
    /// Percent-encodes a query value (ids, appids and secrets are plain ASCII, but be safe).
    var queryEscaped: String {
        var allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
        allowed.remove(UInt8(ascii: "+"))
        var out = ""
        for byte in utf8 {
            if allowed.contains(byte) { out.unicodeScalars.append(UnicodeScalar(byte)) } else { out += String(format: "%%%02X", byte) }
        }
        return out
    }
}
