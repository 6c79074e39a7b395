import Foundation
import Testing
import Scratch

/// `mount --callback-listen`: WeChat's message push pointed at the mount. A signed push shows its media in
/// `inbox/` at once, with no download before the read and the simulator's exact bytes after it; every bad push is
/// refused with its status, records nothing, and leaves the mount serving. Signatures and envelopes are made by
/// sha1sum and openssl (PushClient), never by the code under test.
@Suite(.serialized) struct CallbackTests {
    static let token = "PushToken\(UInt32.random(in: 1_000_000...9_999_999))"
    static let encodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

    func secretFile(_ name: String, _ text: String) throws -> String {
        let path = Scratch.directory("push-secret") + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    func recorded(_ mount: MountProcess) -> String {
        (try? String(contentsOfFile: mount.cacheDirectory + "/messages.jsonl", encoding: .utf8)) ?? ""
    }

    @Test func plainPushesAreVerifiedAndShowInTheInbox() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let port = try Harness.freePort()
        let mount = try MountProcess(sim: sim, extra: ["--callback-listen", "127.0.0.1:\(port)"],
                                     environment: ["WXMEDIAFS_CALLBACK_TOKEN": Self.token])
        defer { mount.unmount() }
        try await sim.resetCounters()
        let push = PushClient(port: port, token: Self.token)

        // The URL verification WeChat makes when the admin saves the push URL.
        var verify = await push.plainQuery()
        verify["echostr"] = "5739345628117812"
        #expect(await push.get(verify).body == "5739345628117812")
        #expect(await push.get(await push.plainQuery(token: "wrong-token").merging(["echostr": "1"]) { $1 }).status == 403)

        // Refused: each with its status, nothing recorded.
        let xml = Array(PushClient.imageMessage(id: image.id, from: "oSenderA", msgID: "9001").utf8)
        #expect(try await push.post(await push.plainQuery(token: "wrong-token"), body: xml).status == 403, "bad signature")
        let stale = Int(Date().timeIntervalSince1970) - 600
        #expect(try await push.post(await push.plainQuery(timestamp: stale), body: xml).status == 403, "10 minutes old")
        var unsigned = await push.plainQuery()
        unsigned["signature"] = nil
        #expect(try await push.post(unsigned, body: xml).status == 400, "no signature")
        let hostile: [(String, String)] = [
            ("billion laughs", #"<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><MsgType>image</MsgType><MediaId>&b;</MediaId></xml>"#),
            ("external entity", #"<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]><xml><MsgType>&e;</MsgType></xml>"#),
            ("deep nesting", "<xml>" + String(repeating: "<a>", count: 3000) + String(repeating: "</a>", count: 3000) + "</xml>"),
            ("missing MediaId", "<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>image</MsgType><MsgId>1</MsgId></xml>"),
        ]
        for (name, body) in hostile {
            let answer = try await push.post(await push.plainQuery(), body: Array(body.utf8))
            #expect(answer.status == 400, "\(name): \(answer.status) \(answer.body)")
        }
        let invalidUTF8 = Array("<xml><MsgType>image</MsgType><MediaId>".utf8) + [0xC3, 0x28, 0xFF] + Array("</MediaId></xml>".utf8)
        #expect(try await push.post(await push.plainQuery(), body: invalidUTF8).status == 400, "invalid UTF-8")
        #expect(recorded(mount).isEmpty)

        // A signed push: its link is there at once, before any download, and reads the simulator's bytes.
        let accepted = try await push.post(await push.plainQuery(), body: xml)
        #expect(accepted.status == 200 && accepted.body == "success", "\(accepted.status) \(accepted.body)")
        let link = mount.path("inbox/\(PushClient.chinaDay)/oSenderA/9001.jpg")
        #expect(await Harness.waitFor(timeout: 1) { Self.isLink(link) }, "in inbox/ within a second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.path("media")).contains("\(image.id).jpg"))
        #expect(try await sim.calls("media/get") == 0, "listed before any download")
        #expect(await mount.sha256("inbox/\(PushClient.chinaDay)/oSenderA/9001.jpg") == (try await sim.expectedSHA(image)))
        // WeChat pushes again when unsure: the same MsgId is one entry still.
        #expect(try await push.post(await push.plainQuery(), body: xml).status == 200)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.path("inbox/\(PushClient.chinaDay)/oSenderA")) == ["9001.jpg"])

        // The log has a line per refusal and never the token or a signature.
        let log = mount.child.stderrText
        #expect(log.contains("callback: refused") && log.contains("bad signature"), "\(log)")
        #expect(!log.contains(Self.token))
    }

    @Test func bodiesOverTheLimitAre413AndNeverHeld() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let port = try Harness.freePort()
        let mount = try MountProcess(sim: sim, extra: ["--callback-listen", "127.0.0.1:\(port)"],
                                     environment: ["WXMEDIAFS_CALLBACK_TOKEN": Self.token])
        defer { mount.unmount() }
        let push = PushClient(port: port, token: Self.token)
        let huge = Scratch.directory("push-huge") + "/body"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try handle.truncate(atOffset: 100 << 20)  // 100 MB of zeros, sparse
        try handle.close()
        defer { try? FileManager.default.removeItem(atPath: huge) }
        let before = Self.residentKiB(mount.child.process.processIdentifier)
        let started = Date()
        #expect(await push.post(await push.plainQuery(), file: huge).status == 413, "by its Content-Length")
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(try await push.post(await push.plainQuery(), body: Array(repeating: UInt8(ascii: " "), count: 1 << 20), chunked: true).status == 413,
                "chunked, cut off past the limit")
        let after = Self.residentKiB(mount.child.process.processIdentifier)
        #expect(after - before < 32 << 10, "resident memory grew by \(after - before) KiB")
        // Still serving.
        var verify = await push.plainQuery()
        verify["echostr"] = "42"
        #expect(await push.get(verify).body == "42")
        #expect(recorded(mount).isEmpty)
    }

    @Test func safeModePushesAreOpenedAndTheirAppIDChecked() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let port = try Harness.freePort()
        let mount = try MountProcess(sim: sim, extra: [
            "--callback-listen", "127.0.0.1:\(port)", "--callback-token-file", try secretFile("token", Self.token + "\n"),
            "--callback-aes-key-file", try secretFile("aes-key", Self.encodingAESKey + "\n"),
        ])
        defer { mount.unmount() }
        try await sim.resetCounters()
        let push = PushClient(port: port, token: Self.token)

        // Safe mode's URL verification: the echostr is sealed and answered opened.
        let echo = try await PushClient.seal("echo-\(UInt32.random(in: 0...UInt32.max))", appID: SimProcess.appID, encodingAESKey: Self.encodingAESKey)
        var verify = await push.safeQuery(echo)
        verify["echostr"] = echo
        #expect(await push.get(verify).body.hasPrefix("echo-"))

        // Sealed for another appid: 403, nothing recorded; a wrong msg_signature: 403.
        let message = PushClient.imageMessage(id: image.id, from: "oSenderS", msgID: "9100")
        let foreign = try await PushClient.seal(message, appID: "wx0000000000000000", encodingAESKey: Self.encodingAESKey)
        #expect(try await push.post(await push.safeQuery(foreign), body: Self.envelope(foreign)).status == 403)
        let sealed = try await PushClient.seal(message, appID: SimProcess.appID, encodingAESKey: Self.encodingAESKey)
        #expect(try await push.post(await push.safeQuery(foreign), body: Self.envelope(sealed)).status == 403, "msg_signature of another Encrypt")
        #expect(recorded(mount).isEmpty)

        let answer = try await push.post(await push.safeQuery(sealed), body: Self.envelope(sealed))
        #expect(answer.status == 200 && answer.body == "success", "\(answer.status) \(answer.body)")
        let link = "inbox/\(PushClient.chinaDay)/oSenderS/9100.jpg"
        #expect(await Harness.waitFor(timeout: 1) { Self.isLink(mount.path(link)) })
        #expect(try await sim.calls("media/get") == 0)
        #expect(await mount.sha256(link) == (try await sim.expectedSHA(image)))
        let log = mount.child.stderrText
        #expect(!log.contains(Self.token) && !log.contains(Self.encodingAESKey))
    }

    @Test func theSecretsStayOutOfArgvConfigCheckAndErrors() async throws {
        // No token: the mount stops with one line and exit 78 before it mounts.
        let mountpoint = Scratch.directory("push-mnt")
        let none = await Harness.run([Harness.binary, "mount", mountpoint, "--appid", SimProcess.appID, "--callback-listen", "127.0.0.1:1"],
                                     environment: ["WECHAT_APPSECRET": "x", "WXMEDIAFS_CALLBACK_TOKEN": "", "WXMEDIAFS_CONFIG": ""])
        #expect(none.status == 78 && none.error.contains("no callback token"), "\(none.status) \(none.error)")
        // A bad key is named by where it came from, never shown.
        let badKey = "not-a-key-\(UInt32.random(in: 0...UInt32.max))"
        let bad = await Harness.run([Harness.binary, "mount", mountpoint, "--appid", SimProcess.appID, "--callback-listen", "127.0.0.1:1"],
                                    environment: ["WECHAT_APPSECRET": "x", "WXMEDIAFS_CALLBACK_TOKEN": Self.token,
                                                  "WXMEDIAFS_CALLBACK_AES_KEY": badKey, "WXMEDIAFS_CONFIG": ""])
        #expect(bad.status == 78 && bad.error.contains("WXMEDIAFS_CALLBACK_AES_KEY"), "\(bad.error)")
        #expect(!bad.error.contains(badKey) && !bad.error.contains(Self.token))
        // config check says where they come from, not what they are.
        // (Safe mode needs the appid the messages are sealed for: without it the check fails, as the mount would.)
        let noAppid = await Harness.run([Harness.binary, "config", "check", "--callback-listen", "127.0.0.1:8081"],
                                        environment: ["WXMEDIAFS_CALLBACK_TOKEN": Self.token, "WXMEDIAFS_CALLBACK_AES_KEY": Self.encodingAESKey,
                                                      "WXMEDIAFS_CONFIG": ""])
        #expect(noAppid.status == 78 && noAppid.error.contains("needs the appid"), "\(noAppid.error)")
        let check = await Harness.run([Harness.binary, "config", "check", "--callback-listen", "127.0.0.1:8081", "--appid", SimProcess.appID],
                                      environment: ["WXMEDIAFS_CALLBACK_TOKEN": Self.token, "WXMEDIAFS_CALLBACK_AES_KEY": Self.encodingAESKey,
                                                    "WXMEDIAFS_CONFIG": ""])
        #expect(check.status == 0, "\(check.error)")
        #expect(check.output.contains(#"callback_listen = "127.0.0.1:8081"  # flag"#), "\(check.output)")
        #expect(check.output.contains("# callback token: <redacted> (from WXMEDIAFS_CALLBACK_TOKEN)"), "\(check.output)")
        #expect(!check.output.contains(Self.token) && !check.output.contains(Self.encodingAESKey))
        // There is no flag that takes them: argv is public.
        let flag = await Harness.run([Harness.binary, "mount", mountpoint, "--callback-token", Self.token])
        #expect(flag.status != 0 && !flag.error.contains(Self.token), "\(flag.error)")
    }

    static func envelope(_ encrypted: String) -> [UInt8] {
        Array("<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[\(encrypted)]]></Encrypt></xml>".utf8)
    }

    /// Whether `path` is a symbolic link, without following it (following it would read the media).
    static func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// VmRSS of a process, in KiB.
    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
