import NIOHTTP1
import Testing
@testable import WeChatAPI
@testable import WeChatHTTP

/// Hostile or odd answers, parsed without a server.
@Suite struct ParsingTests {
    @Test func errorBodiesInEveryShape() {
        let string = APIJSON(Array(#"{"errcode":"40007","errmsg":"invalid media_id hint: [x] rid: 6099e0e2-1"}"#.utf8))
        #expect(string?.error(endpoint: "media/get")?.errcode == 40007)
        #expect(string?.error(endpoint: "media/get")?.rid == "6099e0e2-1")
        #expect(APIJSON(Array(#"{"errcode":0,"errmsg":"ok"}"#.utf8))?.error(endpoint: "x") == nil)
        #expect(APIJSON(Array("  \n{\"video_url\":\"http://cdn/x\"}".utf8))?.string("video_url") == "http://cdn/x")
        #expect(APIJSON(Array("<html><body>502 Bad Gateway</body></html>".utf8)) == nil)
        #expect(APIJSON(Array(#"{"errcode":4000"#.utf8)) == nil)
        #expect(APIJSON(Array("[1,2,3]".utf8)) == nil)
        #expect(APIJSON([0xFF, 0xD8, 0xFF, 0xE0]) == nil)
        let leaky = APIJSON(Array(#"{"errcode":40001,"errmsg":"bad token access_token=SECRET123&x=1"}"#.utf8))
        #expect(leaky?.error(endpoint: "x")?.message.contains("SECRET123") == false)
    }

    @Test func contentRanges() {
        let full = ContentRange("bytes 0-9/100")
        #expect(full?.start == 0 && full?.end == 9 && full?.total == 100)
        #expect(ContentRange("bytes 5-9/*")?.total == nil)
        #expect(ContentRange("bytes 9-0/10") == nil)
        #expect(ContentRange("items 0-9/10") == nil)
        #expect(ContentRange("bytes x-y/z") == nil)
        #expect(ContentRange(nil) == nil)
        // Found by FuzzTests: a range past its own total, and pieces that parse only when empty ones are dropped.
        #expect(ContentRange("bytes 0-99/10") == nil)
        #expect(ContentRange("bytes 0-9/9") == nil)
        #expect(ContentRange("bytes -1-5/10") == nil)
        #expect(ContentRange("bytes 1--5/10") == nil)
        #expect(ContentRange("bytes 0-9/x") == nil)
        #expect(ContentRange("bytes 0-9/10")?.total == 10)
        #expect(ContentRange.unsatisfiedTotal("bytes */-100") == nil)
        #expect(ContentRange.unsatisfiedTotal("bytes */100") == 100)
    }

    @Test func dispositionAndExtensions() {
        var headers = HTTPHeaders()
        headers.add(name: "content-disposition", value: #"attachment; filename="MEDIA_ID.jpg""#)
        #expect(headers.isAttachment && headers.filename == "MEDIA_ID.jpg")
        var bare = HTTPHeaders()
        bare.add(name: "Content-Disposition", value: "attachment;filename=b.speex")
        #expect(bare.filename == "b.speex")
        #expect(!HTTPHeaders().isAttachment && HTTPHeaders().filename == nil)
        let cases: [(String?, String?, String)] = [
            ("image/jpeg", nil, "jpg"), ("audio/amr", nil, "amr"), ("voice/amr", nil, "amr"),
            ("voice/speex", nil, "speex"), ("audio/x-speex-with-header-byte; rate=16000", nil, "speex"),
            ("video/mp4", nil, "mp4"), ("application/octet-stream", "x.MP3", "mp3"), (nil, "x", "bin"),
            (nil, "../../etc/passwd", "bin"), ("text/plain", "a.jp g", "bin"),
        ]
        for (type, name, ext) in cases { #expect(MediaExtension.from(contentType: type, filename: name) == ext, "\(String(describing: type)) \(String(describing: name))") }
    }

    @Test func mediaIDs() {
        #expect(MediaID("abc_DEF-123") != nil)
        #expect(MediaID(String(repeating: "a", count: 128)) != nil)
        for bad in ["", String(repeating: "a", count: 129), "a/b", "a.b", "a b", "ä", "a\u{0}b"] { #expect(MediaID(bad) == nil, "\(bad)") }
    }
}
