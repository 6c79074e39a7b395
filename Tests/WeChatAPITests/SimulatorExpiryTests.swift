import Locking
import Foundation
import Logging
import Synchronization
import Testing
@testable import WeChatSimulator

/// The simulator's signed, expiring video_urls, gone items, hostile CDN answers, range knobs, the last-upload
/// record and the generator's public bytes. Rules are checked on the state actor with a manual clock; the wire
/// shapes over real HTTP with curl (URLSession is unreliable on Linux).
@Suite struct SimulatorExpiryTests {
    // MARK: on the state, with a manual clock

    @Test func videoURLsCarryASignedExpiry() async throws {
        let clock = SimClock(1000.5)
        var configuration = SimulatorConfiguration()
        configuration.videoURLTTL = 60
        let state = SimulatorState(configuration: configuration, items: [Self.video], now: { clock.now })
        let url = SignedPath(await state.issueVideoURL(for: Self.video.id))
        #expect(url.expires == "1061")   // issue time rounded up, plus the TTL
        #expect(url.signature.count == 16)
        #expect(await url.lookup(state).isFound)
        #expect(await url.lookup(state, expires: "1999").isForbidden)             // e edited
        #expect(await url.lookup(state, signature: "0000000000000000").isForbidden)
        #expect(await state.cdnItem(key: url.key, expires: nil, signature: nil).isForbidden)
        clock.now = 1060.9
        #expect(await url.lookup(state).isFound)
        clock.now = 1061
        #expect(await url.lookup(state).isForbidden)
    }

    @Test func expiringVideoURLsSparesThoseIssuedAfterwards() async throws {
        let clock = SimClock(1000)
        let state = SimulatorState(configuration: SimulatorConfiguration(), items: [Self.video], now: { clock.now })
        let old = SignedPath(await state.issueVideoURL(for: Self.video.id))
        await state.expireVideoURLs()
        let new = SignedPath(await state.issueVideoURL(for: Self.video.id))
        #expect(await old.lookup(state).isForbidden)
        #expect(await new.lookup(state).isFound)
    }

    @Test func aTTLOfZeroIssuesExpiredURLs() async throws {
        let clock = SimClock(1000.5)
        let state = SimulatorState(configuration: SimulatorConfiguration(), items: [Self.video], now: { clock.now })
        await state.set(videoURLTTL: 0)
        #expect(await SignedPath(await state.issueVideoURL(for: Self.video.id)).lookup(state).isForbidden)
    }

    @Test func video404StillHoldsAFreshURLBack() async throws {
        let clock = SimClock(1000)
        let state = SimulatorState(configuration: SimulatorConfiguration(), items: [Self.video], now: { clock.now })
        await state.inject(.video404(seconds: 5), endpoint: .mediaGet, count: 1)
        let url = SignedPath(await state.issueVideoURL(for: Self.video.id))
        #expect(await url.lookup(state).isNotYet)
        clock.now += 5
        #expect(await url.lookup(state).isFound)
    }

    @Test func expiredMediaIsGoneEverywhere() async throws {
        let voice = SimItem(id: "jssdkVoice", kind: .voice, ext: "amr", body: .memory([1, 2, 3]))
        let hd = SimItem(id: "jssdkVoice", kind: .hd, ext: "speex", body: .memory([4, 5]))
        let state = SimulatorState(configuration: SimulatorConfiguration(), items: [Self.video, voice, hd])
        let url = SignedPath(await state.issueVideoURL(for: Self.video.id))
        #expect(await state.expireMedia(id: Self.video.id) == 1)
        #expect(await state.mediaItem(id: Self.video.id) == nil)
        #expect(await url.lookup(state).isUnknown)
        #expect(await state.items().map(\.id) == ["jssdkVoice", "jssdkVoice"])
        #expect(await state.expireMedia(id: "jssdkVoice") == 2)   // both catalogues
        #expect(await state.hdItem(id: "jssdkVoice") == nil)
        #expect(await state.expireMedia(id: "nope") == 0)
    }

    // MARK: the generator's bytes

    @Test func generatedItemBytesAreWhatIsServed() throws {
        let spec = GeneratedItem(type: .video, size: Int64(GeneratedBytes.chunkSize) * 2 + 7)
        let item = SimItem(generated: spec, index: 3)
        #expect(spec.resolvedID(index: 3) == item.id)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sim-gen-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try GeneratedItemBytes.write(id: item.id, size: spec.size, to: path)
        let served = try item.body.readAll()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(served))
        #expect(GeneratedItemBytes.bytes(id: item.id, offset: 65_530, count: 20) == Array(served[65_530..<65_550]))
    }

    // MARK: over HTTP

    @Test func theWireAnswers() async throws {
        var configuration = SimulatorConfiguration()
        configuration.rangeCap = 100
        configuration.unknownTotal = true
        let sim = try await WeChatSimulator.start(configuration, logger: quietLogger())
        defer { Task { await sim.stop() } }
        let token = try #require(try await SimCurl.run(["-X", "POST", "-d",
            #"{"grant_type":"client_credential","appid":"wx5e1a0c0ffee00001","secret":"wxmediafs-simulator-secret"}"#,
            "\(sim.baseURL)/cgi-bin/stable_token"]).json["access_token"] as? String)
        let video = try #require(await sim.state.items().first { $0.kind == .video })
        let answer = try await SimCurl.run(["\(sim.baseURL)/cgi-bin/media/get?access_token=\(token)&media_id=\(video.id)"])
        let url = try #require(answer.json["video_url"] as? String)
        #expect(url.contains("?e=") && url.contains("&s="))

        let capped = try await SimCurl.run(["-H", "Range: bytes=10-", url])
        #expect(capped.status == 206)
        #expect(capped.header("Content-Range") == "bytes 10-109/*")
        #expect(capped.body.count == 100)

        let tampered = try await SimCurl.run([url.replacingOccurrences(of: "?e=", with: "?e=9")])
        #expect(tampered.status == 403 && tampered.header("Content-Type") == "text/html")

        for (fault, status, type) in [("html200", 200, "text/html"), ("json200", 200, "application/json"), ("http410", 410, "text/html")] {
            _ = try await SimCurl.run(["-X", "POST", "-d", #"{"endpoint":"cdn","fault":"\#(fault)"}"#, "\(sim.baseURL)/__sim/fault"])
            let hostile = try await SimCurl.run([url])
            #expect(hostile.status == status && hostile.header("Content-Type") == type, "\(fault)")
        }

        _ = try await SimCurl.run(["-X", "POST", "\(sim.baseURL)/__sim/expire-video-urls"])
        #expect(try await SimCurl.run([url]).status == 403)

        let gone = try await SimCurl.run(["-X", "POST", "-d", #"{"id":"\#(video.id)"}"#, "\(sim.baseURL)/__sim/expire-media"])
        #expect(gone.json["expired"] as? Int == 1)
        let after = try await SimCurl.run(["\(sim.baseURL)/cgi-bin/media/get?access_token=\(token)&media_id=\(video.id)"])
        #expect(after.json["errcode"] as? Int == 40007)

        #expect(try await SimCurl.run(["\(sim.baseURL)/__sim/last-upload"]).status == 404)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-up-\(UUID().uuidString).png")
        try Data([0x89, 0x50, 0x4e, 0x47]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await SimCurl.run(["-F", "media=@\(file.path);type=image/png;filename=shot.png",
                                   "\(sim.baseURL)/cgi-bin/media/upload?access_token=\(token)&type=image"])
        let last = try await SimCurl.run(["\(sim.baseURL)/__sim/last-upload"]).json
        #expect(last["contentType"] as? String == "image/png")
        #expect(last["filename"] as? String == "shot.png")
        #expect(last["bytes"] as? Int == 4)
    }

    static let video = SimItem(id: "videoId", kind: .video, ext: "mp4", body: .memory(Array(repeating: 7, count: 100)))
}

/// The path and query `issueVideoURL` returns, split.
private struct SignedPath {
    let key: String
    let expires: String
    let signature: String

    init(_ path: String) {
        let url = URLComponents(string: "http://x" + path)!
        key = String(url.path.dropFirst("/cdn/".count))
        expires = url.queryItems?.first { $0.name == "e" }?.value ?? ""
        signature = url.queryItems?.first { $0.name == "s" }?.value ?? ""
    }

    func lookup(_ state: SimulatorState, expires: String? = nil, signature: String? = nil) async -> CDNLookup {
        await state.cdnItem(key: key, expires: (expires ?? self.expires)[...], signature: (signature ?? self.signature)[...])
    }
}

private extension CDNLookup {
    var isFound: Bool { if case .found = self { true } else { false } }
    var isForbidden: Bool { if case .forbidden = self { true } else { false } }
    var isNotYet: Bool { if case .notYet = self { true } else { false } }
    var isUnknown: Bool { if case .unknown = self { true } else { false } }
}

/// Seconds since 1970, set by the test.
private final class SimClock: Sendable {
    private let value: Mutex<Double>
    init(_ start: Double) { value = Mutex(start) }
    var now: Double {
        get { value.locked { $0 } }
        set { value.locked { $0 = newValue } }
    }
}

/// One curl call: status, headers of the last answer, body.
private struct SimCurl {
    let status: Int
    let headers: [(String, String)]
    let body: Data

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }

    static func run(_ arguments: [String]) async throws -> SimCurl {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("sim-h-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        process.arguments = ["curl", "-s", "-D", headerFile.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let body = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = (try? String(contentsOf: headerFile, encoding: .utf8))?.components(separatedBy: "\r\n") ?? []
        let statusLine = lines.first { $0.hasPrefix("HTTP/") } ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return SimCurl(status: status, headers: headers, body: body)
    }
}
