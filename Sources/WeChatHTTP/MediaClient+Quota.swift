import AsyncHTTPClient
import Foundation
import NIOCore

/// One API's daily quota as WeChat counts it (`POST /cgi-bin/openapi/quota/get`).
public struct APIQuota: Sendable, Equatable, Codable {
    /// Calls the account may make to that API today.
    public var dailyLimit: Int
    /// Calls made today (every caller of the account, not just this host).
    public var used: Int
    public var remain: Int

    public init(dailyLimit: Int, used: Int, remain: Int) {
        self.dailyLimit = dailyLimit
        self.used = used
        self.remain = remain
    }

    enum CodingKeys: String, CodingKey {
        case dailyLimit = "daily_limit", used, remain
    }
}

extension MediaClient {
    /// The cgi paths whose quotas this tool spends: download, HD voice download, upload.
    public static let quotaPaths = ["/cgi-bin/media/get", "/cgi-bin/media/get/jssdk", "/cgi-bin/media/upload"]

    /// `POST /cgi-bin/openapi/quota/get?access_token=…` with `{"cgi_path":"/cgi-bin/media/get"}` →
    /// `{"errcode":0,"errmsg":"ok","quota":{"daily_limit":…,"used":…,"remain":…}}`. The path must start with `/`
    /// and carry no host (76003 otherwise); a path the server does not know answers 76021.
    public func apiQuota(cgiPath: String) async throws -> APIQuota {
        let endpoint = "openapi/quota/get"
        let body = try JSONSerialization.data(withJSONObject: ["cgi_path": cgiPath])
        return try await withRetries("quota of \(cgiPath)") { token in
            var request = HTTPClientRequest(url: "\(apiBase)/cgi-bin/openapi/quota/get?access_token=\(token.value.queryEscaped)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            try countCall(endpoint)
            let json = try await APIHTTP.json(request, endpoint: endpoint, client: http)
            guard let fields = json.object["quota"] as? [String: Any] else {
                throw WeChatError(.badResponse, "\(endpoint) answered without a quota object", endpoint: endpoint)
            }
            let quota = APIJSON(object: fields)
            guard let limit = quota.int("daily_limit"), let used = quota.int("used") else {
                throw WeChatError(.badResponse, "\(endpoint) answered a quota without daily_limit or used", endpoint: endpoint)
            }
            return APIQuota(dailyLimit: limit, used: used, remain: quota.int("remain") ?? max(0, limit - used))
        }
    }
}

extension APIJSON {
    /// A nested object of an answer, read as leniently as the answer itself.
    init(object: [String: Any]) { self.object = object }
}
