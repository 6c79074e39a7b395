import Locking
import Foundation
import Logging
import Synchronization
import Testing
@testable import WxMediaFSCLI

/// `--log-format json`: one JSON object per line with the fields journald and Loki pipelines expect, and no
/// secret getting through the redaction wrapper.
@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.locked { $0 } }
        func write(_ text: String) { lines.locked { $0.append(text) } }
    }

    func logger(_ lines: Lines, label: String = "wxmediafs.test") -> Logger {
        Logger(label: label) { label in
            var handler = RedactingLogHandler(JSONLogHandler(label: label, write: { lines.write($0) }))
            handler.logLevel = .debug
            return handler
        }
    }

    @Test func eachLineIsOneObjectWithTheFields() throws {
        let lines = Lines()
        var log = logger(lines)
        log[metadataKey: "mount"] = "/mnt/wx"
        let before = Date()
        log.info("mounted", metadata: ["items": "3", "ids": ["a", "b"], "nested": ["k": "v"]])
        log.debug("second \"quoted\"\nline")
        #expect(lines.all.count == 2)
        #expect(lines.all.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().firstIndex(of: "\n") == nil }, "one line each")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info")
        #expect(first["label"] as? String == "wxmediafs.test")
        #expect(first["message"] as? String == "mounted")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["mount"] as? String == "/mnt/wx")
        #expect(metadata["items"] as? String == "3")
        #expect(metadata["ids"] as? [String] == ["a", "b"])
        #expect((metadata["nested"] as? [String: String]) == ["k": "v"])
        let stamp = try #require(first["timestamp"] as? String)
        let parsed = try #require(try? Date(stamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "\(stamp)")
        #expect(abs(parsed.timeIntervalSince(before)) < 5)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: Any])
        #expect(second["message"] as? String == "second \"quoted\"\nline")
        #expect(second["level"] as? String == "debug")
        #expect(second["metadata"] as? [String: String] == ["mount": "/mnt/wx"], "the logger's metadata stays")
        let bare = Lines()
        logger(bare).notice("plain")
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(bare.all.joined().utf8)) as? [String: Any])
        #expect(plain["metadata"] == nil, "no empty metadata object")
        #expect(Set(plain.keys) == ["timestamp", "level", "label", "message"])
    }

    @Test func secretsDoNotReachTheLog() throws {
        let lines = Lines()
        var log = logger(lines)
        let token = "ACCESS_TOKEN_abcdef0123456789", secret = "app-secret-9f8e7d6c"
        log[metadataKey: "url"] = "https://api.weixin.qq.com/cgi-bin/media/get?access_token=\(token)&media_id=x"
        log.warning("GET /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=\(secret) failed",
                    metadata: ["body": "{\"secret\": \"x\", \"q\": \"secret=\(secret)\"}", "list": ["access_token=\(token)"]])
        log.error("fetch failed", error: TokenLeak(url: "http://x/?access_token=\(token)"))
        let text = lines.all.joined()
        #expect(!text.contains(token) && !text.contains(secret), "\(text)")
        #expect(text.contains("REDACTED"))
        for line in lines.all { #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any]) }
    }

    struct TokenLeak: Error, CustomStringConvertible {
        let url: String
        var description: String { "cannot fetch \(url)" }
    }
}
