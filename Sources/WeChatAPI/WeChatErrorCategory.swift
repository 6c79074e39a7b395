/// What an errcode means for a caller: the one classification of WeChat's codes (API doc, table
/// "errcode → meaning"). The errno mapping of the filesystem is built on this, not on raw codes.
public enum WeChatErrorCategory: String, Sendable, CaseIterable {
    case notFound            // 40007, 46001: invalid, expired or foreign media_id
    case tokenInvalid        // 40001, 40014, 42001: get a token again, retry once
    case credentials         // 40013, 40125, 41002, 41004, 40243, 40002: bad or frozen appid / secret
    case ipRefused           // 40164, 61004, 89506, 89507: caller IP not whitelisted
    case notAuthorized       // 48001: API not authorised for this account
    case forbidden           // 48004, 50001, 50002
    case busy                // -1, 89503: back off and retry
    case minuteQuota         // 45011: back off and retry
    case dailyQuota          // 45009: stop calling until the reset
    case badUpload           // 40004, 40005, 41005, 44001, 41006
    case tooLarge            // 40006, 40009…40012, 45001, 45002, 45007
    case unknownCode         // any other errcode
    case serverError         // HTTP 5xx
    case transport
    case timeout
    case badResponse
    case local
    case expiredURL          // a kept video_url expired: get a fresh one from media/get

    public init(errcode: Int) {
        switch errcode {
        case 40007, 46001: self = .notFound
        case 40001, 40014, 42001: self = .tokenInvalid
        case 40013, 40125, 41002, 41004, 40243, 40002: self = .credentials
        case 40164, 61004, 89506, 89507: self = .ipRefused
        case 48001: self = .notAuthorized
        case 48004, 50001, 50002: self = .forbidden
        case -1, 89503: self = .busy
        case 45011: self = .minuteQuota
        case 45009: self = .dailyQuota
        case 40004, 40005, 41005, 44001, 41006: self = .badUpload
        case 40006, 40009, 40010, 40011, 40012, 45001, 45002, 45007: self = .tooLarge
        default: self = .unknownCode
        }
    }

    /// Worth another attempt after a pause (bounded by the retry policy).
    public var isRetryable: Bool {
        switch self {
        case .busy, .minuteQuota, .serverError, .transport, .timeout: return true
        default: return false
        }
    }

    public var summary: String {
        switch self {
        case .notFound: return "media_id not found or expired"
        case .tokenInvalid: return "access token rejected"
        case .credentials: return "appid or appsecret rejected"
        case .ipRefused: return "this machine's IP is not whitelisted"
        case .notAuthorized: return "API not authorised for this account"
        case .forbidden: return "forbidden for this account"
        case .busy: return "WeChat is busy"
        case .minuteQuota: return "per-minute quota reached"
        case .dailyQuota: return "daily quota reached"
        case .badUpload: return "upload refused: wrong type or file"
        case .tooLarge: return "upload refused: file too large or too long"
        case .unknownCode: return "WeChat error"
        case .serverError: return "server error"
        case .transport: return "connection failed"
        case .timeout: return "timed out"
        case .badResponse: return "unexpected answer from the server"
        case .local: return "local error"
        case .expiredURL: return "the video address expired"
        }
    }
}
