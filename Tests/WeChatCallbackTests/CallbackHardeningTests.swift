import Foundation
import Testing
import WeChatAPI
@testable import WeChatCallback

/// Issue 18, points 1, 4 and 6: what a push may carry, safe mode as encrypted only, and one use per
/// (timestamp, nonce). Signatures are Vectors.swift's known answers (made with sha1sum, not the code under test);
/// each case gets a fresh handler, since a (timestamp, nonce) is accepted once.
@Suite struct CallbackHardeningTests {
    let base = CallbackHandlerTests()

    func push(_ handler: CallbackHandler, _ body: String) -> Int {
        base.status { try handler.handle(CallbackRequest(method: .post, query: base.plainQuery, body: Array(body.utf8))) }
    }

    func image(createTime: String = Vectors.timestamp, msgID: String = "777", from: String = "oSender") -> String {
        "<xml><ToUserName>gh_account</ToUserName><FromUserName><![CDATA[\(from)]]></FromUserName><CreateTime>\(createTime)</CreateTime>"
            + "<MsgType>image</MsgType><MediaId>Image_id_7</MediaId><MsgId><![CDATA[\(msgID)]]></MsgId></xml>"
    }

    @Test func createTimesOutsideThePushWindowAreRefused() {
        let pushed = Int64(Vectors.timestamp)!
        for bad in ["9223372036854775807", "-9223372036854775808", "-1", "0", "4102444800", "\(pushed + 301)", "\(pushed - 3 * 86_400 - 1)", "1e9"] {
            #expect(push(base.handler(), image(createTime: bad)) == 400, "CreateTime \(bad)")
        }
        for good in ["\(pushed)", "\(pushed + 300)", "\(pushed - 3 * 86_400)"] {
            #expect(push(base.handler(), image(createTime: good)) == 200, "CreateTime \(good)")
        }
    }

    @Test func namesThatCouldEscapeOrForgeAreRefused() {
        for bad in ["../../../../etc/passwd", "12\n34", String(repeating: "9", count: 5_000), "123456789012345678901", "", "-1", "12 3"] {
            #expect(push(base.handler(), image(msgID: bad)) == 400, "MsgId \(bad.prefix(30).debugDescription)")
        }
        for bad in ["o\nforged 1 2", "../oVictim", String(repeating: "o", count: 65), "o p", "o/x"] {
            #expect(push(base.handler(), image(from: bad)) == 400, "FromUserName \(bad.prefix(30).debugDescription)")
        }
        #expect(base.recorder.count == 0)
        #expect(push(base.handler(), image(msgID: "18446744073709551615", from: "oAbC-_123")) == 200)
    }

    @Test func safeModeTakesEncryptedPushesOnly() {
        let safe = base.handler(safe: true)
        // A valid plain `signature` (WeChat sends it on safe-mode pushes too) over a plaintext body: refused.
        #expect(push(safe, image()) == 403)
        #expect(base.recorder.count == 0)
        let envelope = "<xml><ToUserName>gh_account</ToUserName><Encrypt><![CDATA[\(Vectors.encrypted)]]></Encrypt></xml>"
        let query = ["msg_signature": Vectors.encryptedSignature, "signature": Vectors.plainSignature,
                     "timestamp": Vectors.timestamp, "nonce": Vectors.nonce]
        #expect(base.status { try base.handler(safe: true).handle(CallbackRequest(method: .post, query: query, body: Array(envelope.utf8))) } == 200)
        #expect(base.recorder.count == 1)
    }

    @Test func aCapturedQueryCarriesNoSecondBody() {
        let handler = base.handler()
        #expect(push(handler, image()) == 200)
        #expect(push(handler, image(msgID: "778")) == 403, "the same timestamp and nonce with another body")
        // WeChat pushing the very same again (our answer lost): answered, recorded by MsgId once downstream.
        #expect(push(handler, image()) == 200)
    }

    @Test func aPushThatCouldNotBeRecordedMayComeAgain() {
        let failing = CallbackHandlerTests.Recorder(failing: true)
        let handler = base.handler(recorder: failing)
        #expect(push(handler, image()) == 500)
        #expect(push(handler, image()) == 500, "WeChat's retry is not taken for a replay")
    }
}
