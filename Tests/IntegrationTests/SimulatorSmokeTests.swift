import Foundation
import Logging
import Testing
@testable import WeChatSimulator

/// Smoke test of the simulator: the token rules on the state actor with a manual clock, then one running
/// simulator exercised over real HTTP with curl (URLSession is unreliable on Linux).
@Suite struct SimulatorSmokeTests {
    @Test func classicTokensRotateWithGraceAndExpire() async {
        let clock = ManualClock()
        let state = SimulatorState(configuration: SimulatorConfiguration(), items: [], now: { clock.now })
        let first = await state.issueClassicToken().token
        clock.now += 10
        let second = await state.issueClassicToken().token
        #expect(await state.check(token: first[...]) == .valid)       // 300 s grace
        clock.now += 301
        #expect(await state.check(token: first[...]) == .invalid)
        #expect(await state.check(token: second[...]) == .valid)
        let stable = try? await state.stableToken(forceRefresh: false).get().token
        let again = try? await state.stableToken(forceRefresh: false).get().token
        #expect(stable != nil && stable == again)
        await state.expireAllTokens()
        #expect(await state.check(token: second[...]) == .expired)
        #expect(await state.check(token: "nope") == .invalid)
    }

    @Test func servesTheAPIOverHTTP() async throws {
        let sim = try await WeChatSimulator.start(SimulatorConfiguration(), logger: Logger(label: "sim-smoke"))
        let items = await sim.state.items()
        #expect(Set(items.map(\.kind)) == Set(MediaKind.allCases))
        let base = sim.baseURL + "/cgi-bin"

        let token = try await Curl.run(["\(base)/token?grant_type=client_credential&appid=wx5e1a0c0ffee00001&secret=wxmediafs-simulator-secret"])
        let accessToken = try #require(token.json["access_token"] as? String)
        #expect(token.json["expires_in"] as? Int == 7200)

        let image = try #require(items.first { $0.kind == .image })
        let got = try await Curl.run(["\(base)/media/get?access_token=\(accessToken)&media_id=\(image.id)"])
        #expect(got.status == 200)
        #expect(got.header("Content-disposition") == "attachment; filename=\"\(image.id).jpg\"")
        #expect(got.body == (await sim.bytes(of: image.id, kind: .image)))

        let ranged = try await Curl.run(["-H", "Range: bytes=10-19", "\(base)/media/get?access_token=\(accessToken)&media_id=\(image.id)"])
        #expect(ranged.status == 206 && ranged.body.count == 10)
        #expect(ranged.header("Content-Range") == "bytes 10-19/\(image.size)")

        let video = try #require(items.first { $0.kind == .video })
        let answer = try await Curl.run(["\(base)/media/get?access_token=\(accessToken)&media_id=\(video.id)"])
        let url = try #require(answer.json["video_url"] as? String)
        #expect(try await Curl.run([url]).body.count == Int(video.size))

        let missing = try await Curl.run(["\(base)/media/get?access_token=\(accessToken)&media_id=nosuchid"])
        #expect(missing.json["errcode"] as? Int == 40007)

        await sim.state.inject(.busy, endpoint: .mediaGet, count: 1)
        let busy = try await Curl.run(["\(base)/media/get?access_token=\(accessToken)&media_id=\(image.id)"])
        #expect(busy.json["errcode"] as? Int == -1)

        await sim.state.inject(.truncatedBody, endpoint: .mediaGet, count: 1)
        let cut = try await Curl.run(["\(base)/media/get?access_token=\(accessToken)&media_id=\(image.id)"])
        #expect(cut.status == 200 && cut.body.count < Int(image.size))

        let thumb = try #require(items.first { $0.kind == .thumb })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("smoke-\(sim.port).jpg")
        try Data(try #require(await sim.bytes(of: thumb.id, kind: .thumb))).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let upload = try await Curl.run(["-F", "media=@\(file.path);filename=t.jpg", "\(base)/media/upload?access_token=\(accessToken)&type=thumb"])
        #expect(upload.json["thumb_media_id"] is String)

        let stats = try await Curl.run(["\(sim.baseURL)/__sim/stats"])
        let mediaGet = try #require(stats.json["media/get"] as? [String: Any])
        #expect(mediaGet["requests"] as? Int == 6)
        await sim.stop()
    }
}

private final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 1_786_000_000.0
    var now: Double {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// `curl -si`, run off the cooperative pool; the answer split into status, headers and body.
private struct Curl {
    var status = 0
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    static func run(_ arguments: [String]) async throws -> Curl {
        let output: Data = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                process.arguments = ["-si", "--max-time", "20"] + arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                do {
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: data)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        let bytes = [UInt8](output)
        let separator: [UInt8] = [13, 10, 13, 10]
        let split = (0..<max(0, bytes.count - 3)).first { Array(bytes[$0..<$0 + 4]) == separator } ?? bytes.count
        var answer = Curl(body: split + 4 <= bytes.count ? Array(bytes[(split + 4)...]) : [])
        let head = String(decoding: bytes[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        answer.status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            answer.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return answer
    }
}
