import Foundation
import Testing
import WeChatAPI

/// Follower messages as WeChat pushes them (the documented samples), and hostile XML: a clear error, never a
/// crash, an outbound fetch or unbounded memory.
@Suite struct FollowerMessageParserTests {
    func parse(_ text: String, skipped: @escaping (String) -> Void = { _ in }) throws(FollowerMessageParser.ParseError) -> [FollowerMessage] {
        try FollowerMessageParser.parse(Array(text.utf8), skipped: skipped)
    }

    @Test func theFourKindsWithMedia() throws {
        let messages = try parse("""
            <xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oFollower1]]></FromUserName>
            <CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>
            <MediaId><![CDATA[Image_media_1]]></MediaId><MsgId>1234567890123456</MsgId></xml>
            <?xml version="1.0" encoding="UTF-8"?>
            <xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oFollower2]]></FromUserName>
            <CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[Voice_media_1]]></MediaId>
            <Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123457</MsgId></xml>
            <xml><FromUserName><![CDATA[oFollower3]]></FromUserName><CreateTime>1357290914</CreateTime><MsgType><![CDATA[video]]></MsgType>
            <MediaId><![CDATA[Video_media_1]]></MediaId><ThumbMediaId><![CDATA[Thumb_media_1]]></ThumbMediaId><MsgId>3</MsgId></xml>
            <xml><FromUserName>oFollower4</FromUserName><CreateTime>1357290915</CreateTime><MsgType>shortvideo</MsgType>
            <MediaId>Short_media_1</MediaId><ThumbMediaId>Thumb_media_2</ThumbMediaId><MsgId>4</MsgId></xml>
            <xml><FromUserName>oFollower5</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>no media</Content></xml>
            """)
        #expect(messages.map(\.msgType) == ["image", "voice", "video", "shortvideo"])
        #expect(messages.map(\.mediaID.rawValue) == ["Image_media_1", "Voice_media_1", "Video_media_1", "Short_media_1"])
        #expect(messages[0].picURL == "http://mmbiz.qpic.cn/x" && messages[0].fromUser == "oFollower1" && messages[0].createTime == 1348831860)
        #expect(messages[1].format == "amr" && messages[1].recognition == "腾讯微信团队" && messages[1].msgID == "1234567890123457")
        #expect(messages[2].thumbMediaID?.rawValue == "Thumb_media_1" && messages[3].thumbMediaID?.rawValue == "Thumb_media_2")
        #expect(messages[2].media.map(\.type) == ["video", "thumb"])
    }

    @Test func malformedMessagesAreSkippedAndSaid() throws {
        var said: [String] = []
        let messages = try parse("""
            <xml><FromUserName>a</FromUserName><CreateTime>1786000000</CreateTime><MsgType>image</MsgType><MediaId>../etc/passwd</MediaId><MsgId>9</MsgId></xml>
            <xml><CreateTime>1786000000</CreateTime><MsgType>voice</MsgType><MediaId>Ok_id</MediaId></xml>
            <xml><FromUserName>b</FromUserName><MsgType>voice</MsgType><MediaId>Ok_id</MediaId></xml>
            <xml><FromUserName>c</FromUserName><CreateTime>1786000001</CreateTime><MsgType>voice</MsgType><MediaId>Good_id</MediaId></xml>
            """) { said.append($0) }
        #expect(messages.map(\.mediaID.rawValue) == ["Good_id"])
        #expect(said.count == 3 && said[0].contains("message 1") && said[0].contains("no valid MediaId"))
    }

    /// Issue 18, points 1 and 6: what `ingest` lets in is what the callback lets in, CreateTime measured from now.
    @Test func fieldsAreRangeCheckedWhereTheyEnter() throws {
        func one(_ fields: String) throws -> [FollowerMessage] {
            try FollowerMessageParser.parse(Array("<xml><MsgType>image</MsgType><MediaId>Id_1</MediaId>\(fields)</xml>".utf8),
                                            createdWithin: FollowerMessageParser.plausibleTimes(now: 1_786_000_000))
        }
        let sender = "<FromUserName>oSender</FromUserName>"
        for time in ["9223372036854775807", "-9223372036854775808", "-1", "1", "1345679999", "1786000301", "4102444800", "1.5e9"] {
            #expect(try one(sender + "<CreateTime>\(time)</CreateTime>").isEmpty, "CreateTime \(time)")
        }
        #expect(try one(sender + "<CreateTime>1786000300</CreateTime>").count == 1)
        #expect(try one(sender + "<CreateTime>1345680000</CreateTime>").count == 1, "the day Official Accounts opened")
        let time = "<CreateTime>1786000000</CreateTime>"
        for msgID in ["../../../../etc/passwd", "1\n2", String(repeating: "1", count: 5_000), "x"] {
            #expect(try one(sender + time + "<MsgId>\(msgID)</MsgId>").isEmpty, "MsgId \(msgID.prefix(20))")
        }
        for from in ["a\nb", "../x", String(repeating: "o", count: 65)] {
            #expect(try one("<FromUserName>\(from)</FromUserName>" + time).isEmpty, "FromUserName \(from.prefix(20))")
        }
        #expect(try one(sender + time + "<ToUserName>gh/x</ToUserName>").isEmpty)
        #expect(try one(sender + time + "<Format>amr\nx</Format>").isEmpty)
        #expect(FollowerMessageParser.plausibleTimes(now: .infinity).upperBound > 0, "no clock value traps")
        #expect(FollowerMessageParser.plausibleTimes(pushedAt: .max).contains(1 << 40), "clamped, not trapped")
        #expect(FollowerMessageParser.plausibleTimes(pushedAt: .min).contains(FollowerMessageParser.earliestTime))
    }

    @Test(arguments: [
        ("billion laughs", "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;\">]><xml><MediaId>&lol2;</MediaId></xml>", "DTD"),
        ("external entity", "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"http://127.0.0.1:9/secret\">]><xml><MediaId>&xxe;</MediaId></xml>", "DTD"),
        ("deep nesting", String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000), "<a>"),
        ("deep inside a message", "<xml>" + String(repeating: "<a>", count: 50) + String(repeating: "</a>", count: 50) + "</xml>", "deeper"),
        ("not XML", "<xml><MediaId>unclosed", "malformed"),
        ("a huge element", "<xml><Recognition>" + String(repeating: "x", count: 100_000) + "</Recognition></xml>", "longer"),
    ])
    func hostileXMLIsRefused(name: String, text: String, says: String) {
        do {
            _ = try parse(text)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.contains(says), "\(name): \(error)")
        }
    }

    @Test func oversizedAndInvalidUTF8InputIsRefusedUnread() {
        #expect(throws: FollowerMessageParser.ParseError.self) {
            try FollowerMessageParser.parse([UInt8](repeating: 0x20, count: FollowerMessageParser.maximumSize + 1))
        }
        #expect(throws: FollowerMessageParser.ParseError.self) {
            try FollowerMessageParser.parse(Array("<xml><MediaId>".utf8) + [0xFF, 0xFE] + Array("</MediaId></xml>".utf8))
        }
    }
}
