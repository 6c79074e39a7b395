import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import WeChatAPI
@testable import WeChatHTTP

/// Property tests in the manner of a fuzzer (scripts/chaos --long runs them with CHAOS_FUZZ_ITERATIONS=200000):
/// seeded random and mutated inputs against the answer classifier, the header parsers and the message XML parser.
/// Each must return (never crash, never hang), read a bounded prefix, and give an answer that holds its invariants.
/// A failure names its seed and iteration, so it can be replayed.
@Suite struct FuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["CHAOS_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 3000
    static let seed = ProcessInfo.processInfo.environment["CHAOS_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_0011

    static let seeds: [[UInt8]] = [
        #"{"errcode":40007,"errmsg":"invalid media_id rid: 1-2"}"#, #"{"video_url":"http://127.0.0.1/cdn/k?e=1&s=x"}"#,
        #"{"video_url":"file:///etc/passwd"}"#, #"{"errcode":"-1","errmsg":"system error"}"#, "[1,2]", "{", "",
        "<!DOCTYPE html><html><body>502</body></html>", "<?xml version=\"1.0\"?><x/>", "\u{FF}\u{D8}\u{FF}\u{E0}JFIF",
        "#!AMR\n", "\0\0\0 ftypisom", #"{"errcode":0,"errmsg":"ok","video_url":"https://x/y"}"#,
    ].map { Array($0.utf8) }
    static let contentTypes = ["image/jpeg", "text/plain", "application/json", "text/html", "video/mp4", "audio/amr",
                               "application/octet-stream", "image/", "", "IMAGE/JPEG; charset=x", "voice/speex", "x/x;;;"]

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A seed mutated a few times (flips, inserts, deletes, splices, repeats), or plain random bytes.
    static func input(_ rng: inout Generator, from corpus: [[UInt8]], maxCount: Int = 512) -> [UInt8] {
        var bytes = Int.random(in: 0..<8, using: &rng) == 0
            ? (0..<Int.random(in: 0..<maxCount, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            : corpus.randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 0..<6, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            case 2 where !bytes.isEmpty: bytes.remove(at: at)
            case 3: bytes.insert(contentsOf: corpus.randomElement(using: &rng)!, at: at)
            case 4 where !bytes.isEmpty: bytes = Array(bytes[..<at])
            default: bytes.insert(contentsOf: Array(repeating: bytes.first ?? 0x7B, count: Int.random(in: 0..<64, using: &rng)), at: at)
            }
        }
        return Array(bytes.prefix(maxCount * 4))
    }

    func response(_ contentType: String, _ body: [UInt8], chunk: Int) -> HTTPClientResponse {
        var headers = HTTPHeaders()
        if !contentType.isEmpty { headers.add(name: "Content-Type", value: contentType) }
        let chunks = stride(from: 0, to: body.count, by: max(1, chunk)).map { ByteBuffer(bytes: body[$0..<min(body.count, $0 + max(1, chunk))]) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        return HTTPClientResponse(status: .ok, headers: headers, body: .stream(stream))
    }

    @Test func answerClassifierHoldsItsInvariants() async throws {
        var rng = Generator(state: Self.seed)
        for iteration in 0..<Self.iterations {
            let body = Self.input(&rng, from: Self.seeds)
            let type = Self.contentTypes.randomElement(using: &rng)!
            let answer = response(type, body, chunk: Int.random(in: 1...700, using: &rng))
            var reader = BodyReader(answer.body.makeAsyncIterator(), endpoint: "media/get")
            let context = "seed \(Self.seed) iteration \(iteration): \(type) \(String(decoding: body.prefix(80), as: UTF8.self).debugDescription)"
            switch try await AnswerClassifier.classify(answer, body: &reader, endpoint: "media/get") {
            case .media:
                #expect(MediaExtension.isMediaType(type) && body.first != UInt8(ascii: "{"), "\(context)")
            case .videoURL(let url):
                #expect(url.hasPrefix("http://") || url.hasPrefix("https://"), "\(context)")
            case .error(let error):
                #expect(!error.message.contains("access_token="), "\(context)")
            }
            // Whatever was peeked is given back whole and in order: classification never loses a byte.
            var replay: [UInt8] = []
            while let chunk = try await reader.next() { replay += chunk }
            #expect(replay == body, "\(context)")

            let cdn = response(type, body, chunk: 97)
            var cdnReader = BodyReader(cdn.body.makeAsyncIterator(), endpoint: "cdn")
            if try await AnswerClassifier.refuseCDN(cdn, body: &cdnReader, endpoint: "cdn") == nil {
                let declared = type.lowercased()
                #expect(!declared.hasPrefix("text/") && !declared.contains("json") && !declared.contains("html"), "\(context)")
                #expect(APIJSON(body.prefix(4096)) == nil, "\(context)")
            }
        }
    }

    static let rangeSeeds = ["bytes 0-9/100", "bytes 5-9/*", "bytes */100", "bytes 0-0/1", "bytes 9223372036854775806-9223372036854775807/9223372036854775807",
                             "bytes -1-5/10", "bytes 0-99/10", "bytes 1-2-3/4", "bytes 0-9/100/7", "bytes  0-9/100", "BYTES 0-9/10"].map { Array($0.utf8) }

    @Test func headerParsersHoldTheirInvariants() {
        var rng = Generator(state: Self.seed &+ 1)
        for iteration in 0..<Self.iterations {
            let text = String(decoding: Self.input(&rng, from: Self.rangeSeeds, maxCount: 64), as: UTF8.self)
            let context = "seed \(Self.seed) iteration \(iteration): \(text.debugDescription)"
            if let range = ContentRange(text) {
                #expect(range.start >= 0 && range.end >= range.start, "\(context)")
                if let total = range.total { #expect(total > range.end, "\(context)") }
            }
            if let total = ContentRange.unsatisfiedTotal(text) { #expect(total >= 0, "\(context)") }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(text)\"")
            if let name = headers.filename {
                #expect(!name.isEmpty && !name.hasPrefix("\"") && !name.hasSuffix("\""), "\(context)")
            }
            let ext = MediaExtension.from(contentType: Bool.random(using: &rng) ? text : nil, filename: text)
            #expect(!ext.isEmpty && ext.count <= 8 && !ext.contains("/") && !ext.contains("."), "\(context)")
        }
    }

    static let xmlSeeds: [[UInt8]] = [
        "<xml><FromUserName><![CDATA[oF1]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType><MediaId><![CDATA[Image_media_1]]></MediaId><MsgId>1</MsgId></xml>",
        "<xml><FromUserName>oF2</FromUserName><CreateTime>1</CreateTime><MsgType>video</MsgType><MediaId>V_1</MediaId><ThumbMediaId>T_1</ThumbMediaId></xml>",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><xml><MediaId>&a;</MediaId></xml>", "<xml>", "</xml>", "<![CDATA[", "&#x0;",
    ].map { Array($0.utf8) }

    @Test func messageParserHoldsItsInvariants() {
        var rng = Generator(state: Self.seed &+ 2)
        for iteration in 0..<Self.iterations / 3 {
            let xml = Self.input(&rng, from: Self.xmlSeeds, maxCount: 2048)
            let context = "seed \(Self.seed) iteration \(iteration): \(String(decoding: xml.prefix(120), as: UTF8.self).debugDescription)"
            guard let messages = try? FollowerMessageParser.parse(xml) else { continue }
            for message in messages {
                #expect(MediaID(message.mediaID.rawValue) != nil, "\(context)")
                #expect(["image", "voice", "video", "shortvideo"].contains(message.msgType), "\(context)")
            }
        }
    }
}
