import AsyncHTTPClient
import Foundation
import Testing
@testable import WeChatAPI
@testable import WeChatHTTP
import WeChatSimulator
import Scratch

/// A token source that never fetches: for a client pointed at a server that is not there.
struct FixedTokens: AccessTokenSource {
    func token() async throws -> AccessToken { AccessToken(value: "fixed", generation: 1, expiresAt: .infinity, refreshAt: .infinity) }
    func invalidate(_ token: AccessToken) async {}
}

/// An upload is sent again only when it surely never reached the server: a second try after the server got
/// it could create a second media_id.
@Suite struct UploadResendTests {
    func imageFile() async throws -> (SimFixture, String) {
        let fixture = try await SimFixture.start()
        let path = Scratch.path("resend.jpg")
        try Data(repeating: 0xD8, count: 4096).write(to: URL(fileURLWithPath: path))
        return (fixture, path)
    }

    @Test(arguments: [SimFault.http500, .resetMidBody, .busy])
    func aFailureAfterTheServerGotTheUploadIsNotResent(_ fault: SimFault) async throws {
        let (fixture, path) = try await imageFile()
        defer { unlink(path); Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(fault, endpoint: .upload, count: 1)
        let error = await #expect(throws: WeChatError.self) { try await fixture.client.upload(file: path, type: .image) }
        switch fault {
        case .http500: #expect(error?.kind == .http(status: 500))  // EIO
        case .busy: #expect(error?.errcode == -1)
        default: #expect(error?.category == .transport)
        }
        #expect(await fixture.calls(.upload) == 1)
    }

    @Test func aRejectedTokenIsStillReplacedOnce() async throws {
        let (fixture, path) = try await imageFile()
        defer { unlink(path); Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.invalidToken, endpoint: .upload, count: 1)
        _ = try await fixture.client.upload(file: path, type: .image)
        #expect(await fixture.calls(.upload) == 2)
    }

    /// Connection refused: nothing left this machine, so every try of the policy is made, then the error.
    @Test func anUploadToAClosedPortIsRetriedThenFails() async throws {
        let (fixture, path) = try await imageFile()
        defer { unlink(path) }
        let closed = fixture.sim.baseURL
        await fixture.sim.stop()
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(200), read: .seconds(5))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var client = MediaClient(apiBase: closed, tokens: FixedTokens(), clock: ManualClock(), logger: quietLogger())
        client.http = http
        let error = await #expect(throws: WeChatError.self) { try await client.upload(file: path, type: .image) }
        #expect(error?.category == .transport || error?.category == .timeout)
        #expect(client.counters.snapshot().endpoints["media/upload"]?.calls == RetryPolicy().attempts)
        try await http.shutdown()
    }
}
