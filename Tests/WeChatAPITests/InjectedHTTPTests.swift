import AsyncHTTPClient
import Testing
import WeChatSimulator
@testable import WeChatAPI
@testable import WeChatHTTP

/// Issue #20, point 5: downloads, quota calls and token fetches go through the HTTP client they were given, not
/// the process-wide one. A client that has been shut down refuses every request: given to them, nothing reaches
/// the simulator (its own counters say so) and each call fails as a transport error.
@Suite struct InjectedHTTPTests {
    @Test func everyCallGoesThroughTheInjectedClient() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let closed = HTTPClient(eventLoopGroupProvider: .singleton)
        try await closed.shutdown()

        var client = fixture.client
        client.http = closed
        let image = fixture.item(.image)
        let download = await #expect(throws: WeChatError.self) {
            try await client.download(MediaRequest(id: MediaID(image.id)!), into: MemorySink())
        }
        #expect(download?.category == .transport)
        #expect(await fixture.calls(.mediaGet) == 0, "the download never left through the process-wide client")

        let fetcher = StableTokenFetcher(apiBase: fixture.sim.baseURL,
                                         credentials: Credentials(appID: SimFixture.appID, secret: SimFixture.secret), http: closed)
        let token = await #expect(throws: WeChatError.self) { try await fetcher.fetchToken() }
        #expect(token?.category == .transport)
        #expect(await fixture.calls(.stableToken) == 1, "only the fixture's own token fetch reached the simulator")

        // The same calls through the default client succeed: the failures above were the injected client's.
        let sink = MemorySink()
        _ = try await fixture.client.download(MediaRequest(id: MediaID(image.id)!), into: sink)
        #expect(sink.bytes.count == Int(image.size))
    }
}
