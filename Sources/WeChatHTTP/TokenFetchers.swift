import AsyncHTTPClient
import Foundation
import NIOCore
import Logging

/// `POST /cgi-bin/stable_token`: the current stable token, shared safely by many hosts. Never `force_refresh`.
public struct StableTokenFetcher: TokenFetcher {
    let apiBase: String
    let credentials: Credentials
    /// The HTTP client the fetch goes through (the process-wide one unless another is given, as `MediaClient.http`).
    let http: HTTPClient

    public init(apiBase: String, credentials: Credentials, http: HTTPClient = APIHTTP.client) {
        self.apiBase = apiBase
        self.credentials = credentials
        self.http = http
    }

    public func fetchToken() async throws -> FetchedToken {
        var request = HTTPClientRequest(url: apiBase + "/cgi-bin/stable_token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: [String: Any] = [
            "grant_type": "client_credential", "appid": credentials.appID,
            "secret": credentials.secret, "force_refresh": false,
        ]
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        return try Self.token(from: await APIHTTP.json(request, endpoint: "stable_token", client: http), endpoint: "stable_token")
    }

    static func token(from json: APIJSON, endpoint: String) throws -> FetchedToken {
        guard let value = json.string("access_token"), !value.isEmpty else {
            throw WeChatError(.badResponse, "\(endpoint) answered without access_token", endpoint: endpoint)
        }
        return FetchedToken(value: value, expiresIn: json.int("expires_in").map(Double.init))
    }
}

/// `GET /cgi-bin/token`: each call invalidates the previous token (after ~5 min), so only one host may use it.
public struct ClassicTokenFetcher: TokenFetcher {
    let apiBase: String
    let credentials: Credentials
    /// The HTTP client the fetch goes through (the process-wide one unless another is given, as `MediaClient.http`).
    let http: HTTPClient

    public init(apiBase: String, credentials: Credentials, http: HTTPClient = APIHTTP.client) {
        self.apiBase = apiBase
        self.credentials = credentials
        self.http = http
    }

    public func fetchToken() async throws -> FetchedToken {
        let url = apiBase + "/cgi-bin/token?grant_type=client_credential&appid=\(credentials.appID.queryEscaped)&secret=\(credentials.secret.queryEscaped)"
        let request = HTTPClientRequest(url: url)
        return try StableTokenFetcher.token(from: await APIHTTP.json(request, endpoint: "token", client: http), endpoint: "token")
    }
}

/// A token kept in a file by a central token service; read again whenever the file changes.
/// Its lifetime is unknown, so it is used until the server rejects it or the file changes.
public struct FileTokenFetcher: TokenFetcher {
    let path: String

    public init(path: String) { self.path = path }

    public func fetchToken() async throws -> FetchedToken {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw WeChatError(.local, "cannot read the token file \(path)")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, value.utf8.count <= 512 else {
            throw WeChatError(.local, "the token file \(path) does not hold a token")
        }
        return FetchedToken(value: value, expiresIn: nil)
    }

    /// A fingerprint of the file (modification time and size) to notice a new token.
    func fingerprint() -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        return "\(date)/\(size)"
    }
}

/// Wraps a provider over a token file: when the file changes, the current token is dropped.
public actor FileTokenSource: AccessTokenSource {
    private let fetcher: FileTokenFetcher
    private let provider: TokenProvider
    private var seen: String?

    public init(path: String, counters: APICounters? = nil, logger: Logger) {
        fetcher = FileTokenFetcher(path: path)
        provider = TokenProvider(fetcher: fetcher, counters: counters, logger: logger)
    }

    public func token() async throws -> AccessToken {
        let fingerprint = fetcher.fingerprint()
        let token = try await provider.token()
        if let seen, seen != fingerprint {
            await provider.invalidate(token)
            self.seen = fingerprint
            return try await provider.token()
        }
        seen = fingerprint
        return token
    }

    public func invalidate(_ token: AccessToken) async {
        await provider.invalidate(token)
    }
}
