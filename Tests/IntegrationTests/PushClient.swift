import Foundation
import Scratch

/// WeChat's side of the message push, made with tools outside the code under test: signatures with `sort` and
/// `sha1sum`, safe-mode envelopes with `openssl enc -aes-256-cbc -nopad` (the 32-byte padding added here, as
/// WeChat's documentation describes it), requests with curl.
struct PushClient {
    let port: Int
    let token: String

    struct Answer {
        var status: Int
        var body: String
    }

    /// sha1(sort(parts).joined()) in hex, by coreutils.
    func sign(_ parts: [String]) async -> String {
        let script = #"printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum"#
        let result = await Harness.run(["sh", "-c", script, "sh"] + parts)
        return String(result.output.prefix(40))
    }

    /// The query WeChat adds to a plain push: `signature`, `timestamp`, `nonce` (signed with `token`).
    func plainQuery(timestamp: Int = Int(Date().timeIntervalSince1970), token: String? = nil) async -> [String: String] {
        let nonce = String(Int.random(in: 100_000_000...999_999_999))
        return ["signature": await sign([token ?? self.token, String(timestamp), nonce]), "timestamp": String(timestamp), "nonce": nonce]
    }

    /// A safe-mode query over `encrypted` (the Encrypt field or echostr).
    func safeQuery(_ encrypted: String) async -> [String: String] {
        var query = await plainQuery()
        query["msg_signature"] = await sign([token, query["timestamp"]!, query["nonce"]!, encrypted])
        query["encrypt_type"] = "aes"
        return query
    }

    func url(_ query: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let pairs = query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)" }
        return "http://127.0.0.1:\(port)/wechat?" + pairs.joined(separator: "&")
    }

    func get(_ query: [String: String]) async -> Answer { await curl([url(query)]) }

    /// POSTs `body` (a file of it), optionally chunked (no Content-Length).
    func post(_ query: [String: String], body: [UInt8], chunked: Bool = false) async throws -> Answer {
        let file = Scratch.directory("push") + "/body"
        try Data(body).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return await post(query, file: file, chunked: chunked)
    }

    func post(_ query: [String: String], file: String, chunked: Bool = false) async -> Answer {
        await curl(["-H", "Content-Type: text/xml", "--data-binary", "@" + file] + (chunked ? ["-H", "Transfer-Encoding: chunked"] : []) + [url(query)])
    }

    private func curl(_ arguments: [String]) async -> Answer {
        let result = await Harness.run(["curl", "-s", "-w", "\n%{http_code}"] + arguments, timeout: 60)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return Answer(status: Int(lines.last ?? "") ?? -1, body: lines.dropLast().joined(separator: "\n"))
    }

    /// The envelope of `message` for `appID` under the 43-character `encodingAESKey`, by openssl.
    static func seal(_ message: String, appID: String, encodingAESKey: String) async throws -> String {
        guard let key = Data(base64Encoded: encodingAESKey + "=") else { throw HarnessError("not a key") }
        let hex = key.map { String(format: "%02x", $0) }.joined()
        let length = UInt32(message.utf8.count)
        var plain = (0..<16).map { _ in UInt8.random(in: 0...255) } + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) }
            + Array(message.utf8) + Array(appID.utf8)
        let pad = 32 - plain.count % 32
        plain += Array(repeating: UInt8(pad), count: pad)
        let file = Scratch.directory("seal") + "/plain"
        try Data(plain).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let command = "openssl enc -aes-256-cbc -nopad -K \(hex) -iv \(hex.prefix(32)) -in '\(file)' | openssl base64 -A"
        let result = await Harness.run(["sh", "-c", command])
        guard result.status == 0, !result.output.isEmpty else { throw HarnessError("openssl failed: \(result.error)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A follower's image message, as WeChat pushes it.
    static func imageMessage(id: String, from sender: String, msgID: String, at time: Int = Int(Date().timeIntervalSince1970)) -> String {
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[\(sender)]]></FromUserName>"
            + "<CreateTime>\(time)</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.invalid/x]]></PicUrl>"
            + "<MediaId><![CDATA[\(id)]]></MediaId><MsgId>\(msgID)</MsgId></xml>"
    }

    /// Today as WeChat counts days (UTC+8), from the clock.
    static var chinaDay: String {
        let china = DateFormatter()
        china.dateFormat = "yyyy-MM-dd"
        china.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        return china.string(from: Date())
    }
}
