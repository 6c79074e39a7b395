/// A failure the next calls of an endpoint get, before normal processing.
public enum SimFault: Sendable, Equatable {
    case busy            // {"errcode":-1,...}
    case minuteQuota     // 45011
    case dailyQuota      // 45009
    case http500
    case resetMidBody    // send about half the body, then close the connection abruptly (RST)
    case truncatedBody   // declare the full Content-Length, send part of it, close
    case expiredToken    // 42001
    case invalidToken    // 40001
    /// Hostile answers, as a CDN or a proxy in front of it may give (meant for endpoint `cdn`, valid on any):
    case html200         // HTTP 200, text/html, an HTML error page instead of the bytes
    case json200         // HTTP 200, application/json, {"errcode":-1,"errmsg":"system error"}
    case jsonAsMedia     // HTTP 200, Content-Type image/jpeg, no attachment header, body {"errcode":40007,…}
    case http410         // 410 Gone
    /// The next video_url(s) issued answer 404 for that long after issue. Consumed by media/get calls that
    /// issue a video_url, whatever endpoint it was injected on.
    case video404(seconds: Double)
    /// Chaos kinds (see SimChaos.swift and SimReply+Chaos.swift):
    case stall(seconds: Double)  // hold the answer that long, then answer normally
    case hugeErrmsg              // {"errcode":-1,"errmsg":"…1 MiB…"}
    case longLength              // Content-Length larger than the body: the whole body, then close
    case shortLength             // a 206 whose Content-Length is smaller than its body (a 200: truncate)
    case rangeMismatch           // a Content-Range that does not match the bytes sent
    case otherRange              // a 206 (consistent in itself) for another range than was asked
    case otherTotal              // a 206 past byte 0 whose Content-Range gives another total than the item's
    case redirectLoop            // 302 to the very same URL
    case badVideoURL             // {"video_url":"file:///etc/passwd"}

    /// The names used by `POST /__sim/fault`.
    init?(controlName: String, seconds: Double) {
        switch controlName {
        case "busy": self = .busy
        case "minute-quota": self = .minuteQuota
        case "daily-quota": self = .dailyQuota
        case "http500": self = .http500
        case "reset": self = .resetMidBody
        case "truncate": self = .truncatedBody
        case "expired-token": self = .expiredToken
        case "invalid-token": self = .invalidToken
        case "html200": self = .html200
        case "json200": self = .json200
        case "json-as-media": self = .jsonAsMedia
        case "http410": self = .http410
        case "video404": self = .video404(seconds: seconds)
        case "stall": self = .stall(seconds: seconds)
        case "huge-errmsg": self = .hugeErrmsg
        case "long-length": self = .longLength
        case "short-length": self = .shortLength
        case "range-mismatch": self = .rangeMismatch
        case "other-range": self = .otherRange
        case "other-total": self = .otherTotal
        case "redirect-loop": self = .redirectLoop
        case "bad-video-url": self = .badVideoURL
        default: return nil
        }
    }

    /// Whether the answer is the route's own, changed on the wire (the route reads the request body itself).
    var isAnsweredByTheRoute: Bool {
        switch self {
        case .resetMidBody, .truncatedBody, .video404, .stall, .longLength, .shortLength, .rangeMismatch, .otherRange, .otherTotal: true
        default: false
        }
    }

    /// The name `POST /__sim/fault` knows it by; `/__sim/chaos` counts faults under it.
    public var controlName: String {
        switch self {
        case .busy: "busy"
        case .minuteQuota: "minute-quota"
        case .dailyQuota: "daily-quota"
        case .http500: "http500"
        case .resetMidBody: "reset"
        case .truncatedBody: "truncate"
        case .expiredToken: "expired-token"
        case .invalidToken: "invalid-token"
        case .html200: "html200"
        case .json200: "json200"
        case .jsonAsMedia: "json-as-media"
        case .http410: "http410"
        case .video404: "video404"
        case .stall: "stall"
        case .hugeErrmsg: "huge-errmsg"
        case .longLength: "long-length"
        case .shortLength: "short-length"
        case .rangeMismatch: "range-mismatch"
        case .otherRange: "other-range"
        case .otherTotal: "other-total"
        case .redirectLoop: "redirect-loop"
        case .badVideoURL: "bad-video-url"
        }
    }
}

/// The simulated endpoints; the raw value keys the counters in `/__sim/stats`.
public enum SimEndpoint: String, Sendable, CaseIterable {
    case token = "token"
    case stableToken = "stable_token"
    case mediaGet = "media/get"
    case jssdk = "media/get/jssdk"
    case upload = "media/upload"
    case cdn = "cdn"
    /// `POST /cgi-bin/openapi/quota/get`: an API's daily limit and today's calls.
    case quotaGet = "openapi/quota/get"
    /// `GET /files/`: a plain HTML directory listing of the media items and `/files/<id>.<ext>` their bytes
    /// (Range, HEAD), for generic HTTP filesystems (httpdirfs, rclone) in the benchmarks. Not a WeChat API.
    case files = "files"

    init?(path: String) {
        switch path {
        case "/cgi-bin/token": self = .token
        case "/cgi-bin/stable_token": self = .stableToken
        case "/cgi-bin/media/get": self = .mediaGet
        case "/cgi-bin/media/get/jssdk": self = .jssdk
        case "/cgi-bin/media/upload": self = .upload
        case "/cgi-bin/openapi/quota/get": self = .quotaGet
        default:
            if path == "/files" || path.hasPrefix("/files/") {
                self = .files
                return
            }
            guard path.hasPrefix("/cdn/") else { return nil }
            self = .cdn
        }
    }
}

/// Per endpoint: requests received, and body bytes sent (uploads: received).
public struct EndpointCounters: Sendable, Codable, Equatable {
    public var requests: Int
    public var bytes: Int64

    public init(requests: Int = 0, bytes: Int64 = 0) {
        self.requests = requests
        self.bytes = bytes
    }
}
