/// A WeChat API error answer: HTTP 200 with `{"errcode":N,"errmsg":"… rid: …"}`. The rid is fresh per answer,
/// as on the real server; `hint: […]` appears where the real server puts one (invalid media ids).
struct WeChatError: Error, Sendable, Equatable {
    let code: Int
    let message: String
    var hasHint = false

    static let busy = WeChatError(code: -1, message: "system error")
    static let minuteQuota = WeChatError(code: 45011, message: "api minute-quota reach limit  mustslower  retry next minute")
    static let dailyQuota = WeChatError(code: 45009, message: "reach max api daily quota limit")
    static let invalidToken = WeChatError(code: 40001, message: "invalid credential, access_token is invalid or not latest")
    static let expiredToken = WeChatError(code: 42001, message: "access_token expired")
    static let invalidGrantType = WeChatError(code: 40002, message: "invalid grant_type")
    static let invalidAppID = WeChatError(code: 40013, message: "invalid appid")
    static let invalidSecret = WeChatError(code: 40125, message: "invalid appsecret")
    static let dataFormat = WeChatError(code: 47001, message: "data format error")
    static let invalidMediaID = WeChatError(code: 40007, message: "invalid media_id", hasHint: true)
    static let mediaIDMissing = WeChatError(code: 41006, message: "media_id missing")
    static let invalidMediaType = WeChatError(code: 40004, message: "invalid media type")
    static let invalidFileType = WeChatError(code: 40005, message: "invalid file type", hasHint: true)
    /// Every "too big" upload answers 40006 (the real server also uses 40009 for images; one code is enough).
    static let invalidMediaSize = WeChatError(code: 40006, message: "invalid media size", hasHint: true)
    static let mediaDataMissing = WeChatError(code: 41005, message: "media data missing", hasHint: true)
    static let emptyMedia = WeChatError(code: 44001, message: "empty media data", hasHint: true)

    var json: String {
        var text = message
        if hasHint { text += " hint: [\(MediaID.randomString(count: 14, from: Self.hintCharacters))]" }
        text += " rid: \(Self.rid())"
        return "{\"errcode\":\(code),\"errmsg\":\(JSONText.quote(text))}"
    }

    private static let hintCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    private static let hex = Array("0123456789abcdef")

    /// "xxxxxxxx-xxxxxxxx-xxxxxxxx", lower-case hex, like the real request ids.
    static func rid() -> String {
        (0..<3).map { _ in MediaID.randomString(count: 8, from: hex) }.joined(separator: "-")
    }
}

/// JSON written by hand where key order should match the real server's answers.
enum JSONText {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let digits = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
