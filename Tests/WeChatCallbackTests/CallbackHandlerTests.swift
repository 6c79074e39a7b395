import Locking
import Foundation
import Synchronization
import Testing
import WeChatAPI
@testable import WeChatCallback

/// The push protocol without HTTP: what is accepted, recorded and refused, with which status. Signatures are the
/// known answers of Vectors.swift; the clock is pinned to their timestamp.
@Suite struct CallbackHandlerTests {
    final class Recorder: Sendable {
        let messages = Mutex<[FollowerMessage]>([])
        let failing: Bool
        init(failing: Bool = false) { self.failing = failing }
        func record(_ new: [FollowerMessage]) throws {
            if failing { throw CocoaError(.fileWriteOutOfSpace) }
            messages.locked { $0 += new }
        }
        var count: Int { messages.locked { $0.count } }
    }

    let recorder = Recorder()
    let clock = ManualClock(now: 1_786_000_000)

    func handler(safe: Bool = false, recorder: Recorder? = nil) -> CallbackHandler {
        let cipher = safe ? CallbackCipher(key: EncodingAESKey(Vectors.encodingAESKey)!, appID: Vectors.appID) : nil
        let recorder = recorder ?? self.recorder
        return CallbackHandler(configuration: CallbackConfiguration(token: Vectors.token, cipher: cipher), clock: clock) { try recorder.record($0) }
    }

    var plainQuery: [String: String] { ["signature": Vectors.plainSignature, "timestamp": Vectors.timestamp, "nonce": Vectors.nonce] }

    /// 200, or the status of the refusal (-1 for an error that is not one).
    func status(_ work: () throws -> CallbackAnswer) -> Int {
        do {
            _ = try work()
            return 200
        } catch {
            return (error as? CallbackRejection)?.status.rawValue ?? -1
        }
    }

    static let image = Array("""
        <xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oSender]]></FromUserName>
        <CreateTime>1786000000</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://example.invalid/p]]></PicUrl>
        <MediaId><![CDATA[Image_id_7]]></MediaId><MsgId>777</MsgId></xml>
        """.utf8)

    @Test func thePlainURLVerificationEchoes() throws {
        let answer = try handler().handle(CallbackRequest(method: .get, query: plainQuery.merging(["echostr": "5739345628117812"]) { $1 }))
        #expect(answer.body == "5739345628117812")
        var bad = plainQuery.merging(["echostr": "1"]) { $1 }
        bad["signature"] = String(Vectors.plainSignature.reversed())
        #expect(status { try handler().handle(CallbackRequest(method: .get, query: bad)) } == 403)
        #expect(status { try handler().handle(CallbackRequest(method: .get, query: plainQuery)) } == 400, "no echostr")
        #expect(status { try handler().handle(CallbackRequest(method: .get, query: ["echostr": "1"])) } == 400)
    }

    @Test func theSafeURLVerificationAnswersTheDecryptedEcho() throws {
        let query = ["msg_signature": Vectors.encryptedEchoSignature, "timestamp": Vectors.timestamp, "nonce": Vectors.nonce,
                     "echostr": Vectors.encryptedEcho]
        #expect(try handler(safe: true).handle(CallbackRequest(method: .get, query: query)).body == Vectors.echo)
        var other = query
        other["echostr"] = Vectors.echoForAnotherAppID
        other["msg_signature"] = CallbackSignature.sign([Vectors.token, Vectors.timestamp, Vectors.nonce, Vectors.echoForAnotherAppID])
        #expect(status { try handler(safe: true).handle(CallbackRequest(method: .get, query: other)) } == 403)
        #expect(status { try handler(safe: true).handle(CallbackRequest(method: .get, query: query.merging(["msg_signature": Vectors.plainSignature]) { $1 })) } == 403)
    }

    @Test func aSignedPlainPushIsRecorded() throws {
        let answer = try handler().handle(CallbackRequest(method: .post, query: plainQuery, body: Self.image))
        #expect(answer.body == "success")
        let recorded = recorder.messages.locked { $0 }
        #expect(recorded.count == 1 && recorded.first?.mediaID.rawValue == "Image_id_7" && recorded.first?.msgID == "777")
        #expect(recorded.first?.fromUser == "oSender" && recorded.first?.createTime == 1_786_000_000)
        // A text message has no media: success, nothing recorded.
        let text = Array("<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>".utf8)
        #expect(try handler().handle(CallbackRequest(method: .post, query: plainQuery, body: text)).body == "success")
        #expect(recorder.count == 1)
    }

    @Test func aBadSignatureOrAStaleTimestampIs403AndRecordsNothing() {
        var bad = plainQuery
        bad["signature"] = "0" + Vectors.plainSignature.dropFirst()
        #expect(status { try handler().handle(CallbackRequest(method: .post, query: bad, body: Self.image)) } == 403)
        var noSignature = plainQuery
        noSignature["signature"] = nil
        #expect(status { try handler().handle(CallbackRequest(method: .post, query: noSignature, body: Self.image)) } == 400)
        clock.advance(by: 301)
        #expect(status { try handler().handle(CallbackRequest(method: .post, query: plainQuery, body: Self.image)) } == 403, "5 minutes late")
        let early = ManualClock(now: 1_786_000_000 - 301)
        let earlyHandler = CallbackHandler(configuration: CallbackConfiguration(token: Vectors.token), clock: early) { _ in }
        #expect(status { try earlyHandler.handle(CallbackRequest(method: .post, query: plainQuery, body: Self.image)) } == 403, "5 minutes early")
        var words = plainQuery
        words["timestamp"] = "yesterday"
        #expect(status { try handler().handle(CallbackRequest(method: .post, query: words, body: Self.image)) } == 400)
        #expect(recorder.count == 0)
    }

    @Test func hostileOrIncompleteXMLIs400() {
        let deep = String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000)
        let bodies: [(String, [UInt8])] = [
            ("billion laughs", Array("<!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><xml><MsgType>image</MsgType><MediaId>&b;</MediaId></xml>".utf8)),
            ("external entity", Array("<!DOCTYPE x [<!ENTITY e SYSTEM \"http://127.0.0.1:9/x\">]><xml><MsgType>&e;</MsgType></xml>".utf8)),
            ("deep nesting", Array("<xml>\(deep)</xml>".utf8)),
            ("invalid UTF-8", Array("<xml><MsgType>image</MsgType><MediaId>".utf8) + [0xC3, 0x28, 0xFF] + Array("</MediaId></xml>".utf8)),
            ("no MediaId", Array("<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>image</MsgType><MsgId>1</MsgId></xml>".utf8)),
            ("no MsgType", Array("<xml><FromUserName>o</FromUserName><MediaId>Image_id_7</MediaId></xml>".utf8)),
            ("two messages", Self.image + Self.image),
            ("empty", []),
            ("not XML", Array("{\"MsgType\":\"image\"}".utf8)),
            ("unclosed", Array("<xml><MsgType>image</MsgType>".utf8)),
        ]
        for (name, body) in bodies {
            #expect(status { try handler().handle(CallbackRequest(method: .post, query: plainQuery, body: body)) } == 400, "\(name)")
        }
        #expect(recorder.count == 0)
    }

    @Test func aBodyOverTheLimitIs413() {
        let body = Self.image + Array(repeating: UInt8(ascii: " "), count: 64 << 10)
        #expect(status { try handler().handle(CallbackRequest(method: .post, query: plainQuery, body: body)) } == 413)
    }

    @Test func aSafeModePushIsOpenedAndRecorded() throws {
        let envelope = Array("<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[\(Vectors.encrypted)]]></Encrypt></xml>".utf8)
        let query = ["signature": Vectors.plainSignature, "timestamp": Vectors.timestamp, "nonce": Vectors.nonce, "encrypt_type": "aes",
                     "msg_signature": Vectors.encryptedSignature, "openid": "oSender"]
        #expect(try handler(safe: true).handle(CallbackRequest(method: .post, query: query, body: envelope)).body == "success")
        #expect(recorder.messages.locked { $0.map(\.mediaID.rawValue) } == ["Image_id_1_abcdefghijklmnopqrs"])
        // msg_signature is over Encrypt: a good `signature` alone does not do.
        let bad = query.merging(["msg_signature": Vectors.plainSignature]) { $1 }
        #expect(status { try handler(safe: true).handle(CallbackRequest(method: .post, query: bad, body: envelope)) } == 403)
        // Without the key the envelope cannot be read: a clear 400, not success.
        #expect(status { try handler(safe: false).handle(CallbackRequest(method: .post, query: query, body: envelope)) } == 400)
        #expect(recorder.count == 1)
    }

    @Test func compatibleModeIsReadFromEncryptWhenAKeyIsSet() throws {
        // Plain fields that name Image_id_7 and an Encrypt that names Image_id_1_…: the key decides which is read.
        let body = Array(String(decoding: Self.image, as: UTF8.self).replacingOccurrences(
            of: "</xml>", with: "<Encrypt><![CDATA[\(Vectors.encrypted)]]></Encrypt></xml>").utf8)
        let query = plainQuery.merging(["msg_signature": Vectors.encryptedSignature, "encrypt_type": "aes"]) { $1 }
        _ = try handler(safe: true).handle(CallbackRequest(method: .post, query: query, body: body))
        _ = try handler(safe: false).handle(CallbackRequest(method: .post, query: query, body: body))
        #expect(recorder.messages.locked { $0.map(\.mediaID.rawValue) } == ["Image_id_1_abcdefghijklmnopqrs", "Image_id_7"])
    }

    @Test func aFailedRecordIs500SoWeChatPushesAgain() {
        let failing = Recorder(failing: true)
        #expect(status { try handler(recorder: failing).handle(CallbackRequest(method: .post, query: plainQuery, body: Self.image)) } == 500)
        #expect(status { try handler().handle(CallbackRequest(method: .other, query: plainQuery)) } == 405)
    }

    @Test func theConfigurationNeverShowsItsSecrets() {
        let configuration = CallbackConfiguration(token: Vectors.token, cipher: CallbackCipher(key: EncodingAESKey(Vectors.encodingAESKey)!, appID: "wx1"))
        #expect(!"\(configuration)".contains(Vectors.token) && !"\(configuration)".contains("abcdefghij"))
        #expect("\(configuration)".contains("safe"))
    }
}
