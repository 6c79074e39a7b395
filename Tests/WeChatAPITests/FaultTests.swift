import Testing
import WeChatHTTP
import WeChatSimulator

/// Every fault knob of the simulator gives the right typed error, or a successful retry.
@Suite struct FaultTests {
    @Test(arguments: [SimFault.busy, .minuteQuota, .http500, .resetMidBody, .truncatedBody])
    func transientFaultsAreRetried(_ fault: SimFault) async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(fault, endpoint: .mediaGet, count: 2)
        let (_, bytes) = try await fixture.download(.image)
        #expect(bytes == (await fixture.sim.bytes(of: fixture.item(.image).id, kind: .image)))
        #expect(await fixture.calls(.mediaGet) == 3)
    }

    @Test func aStreamCutMidVideoResumesWithRange() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.resetMidBody, endpoint: .cdn, count: 1)
        let (_, bytes) = try await fixture.download(.video)
        let video = await fixture.sim.bytes(of: fixture.item(.video).id, kind: .video)!
        #expect(bytes == video)
        let cdnBytes = await fixture.sim.state.counters()[.cdn]?.bytes ?? 0
        // Resumed at the received offset: about one video over the wire, not one and a half (the simulator counts
        // what it wrote into the socket, some of which the reset discards: under load that is up to a quarter).
        #expect(Double(cdnBytes) <= 1.3 * Double(video.count))
    }

    @Test func persistentBusyGivesUpAfterTheBound() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.busy, endpoint: .mediaGet, count: 100)
        let error = await #expect(throws: WeChatError.self) { try await fixture.download(.image) }
        #expect(error?.errcode == -1)
        #expect(await fixture.calls(.mediaGet) == RetryPolicy().attempts)
    }

    @Test func dailyQuotaIsNotRetried() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.dailyQuota, endpoint: .mediaGet, count: 1)
        let error = await #expect(throws: WeChatError.self) { try await fixture.download(.image) }
        #expect(error?.errcode == 45009)
        #expect(error?.category == .dailyQuota)
        #expect(await fixture.calls(.mediaGet) == 1)
    }

    @Test(arguments: [SimFault.expiredToken, .invalidToken])
    func aRejectedTokenIsReplacedAndTheCallRetriedOnce(_ fault: SimFault) async throws {
        let fixture = try await SimFixture.start(classic: true)
        defer { Task { await fixture.sim.stop() } }
        _ = try await fixture.download(.thumb)
        await fixture.sim.state.inject(fault, endpoint: .mediaGet, count: 1)
        _ = try await fixture.download(.image)
        #expect(await fixture.calls(.token) == 2)
        #expect(await fixture.calls(.mediaGet) == 3)
    }

    @Test func aTokenRejectedTwiceIsAnErrorNotALoop() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.invalidToken, endpoint: .mediaGet, count: 10)
        let error = await #expect(throws: WeChatError.self) { try await fixture.download(.image) }
        #expect(error?.category == .tokenInvalid)
        #expect(await fixture.calls(.mediaGet) == 3, "the first token and two new ones, no more")
        #expect(await fixture.calls(.stableToken) == 3)
    }

    @Test func wrongSecretIsACredentialsError() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let wrong = Credentials(appID: SimFixture.appID, secret: "not-the-secret")
        let tokens = TokenProvider(fetcher: StableTokenFetcher(apiBase: fixture.sim.baseURL, credentials: wrong), logger: quietLogger())
        let client = MediaClient(apiBase: fixture.sim.baseURL, tokens: tokens, clock: ManualClock(), logger: quietLogger())
        let error = await #expect(throws: WeChatError.self) {
            try await client.download(MediaRequest(id: MediaID(fixture.item(.image).id)!), into: MemorySink())
        }
        #expect(error?.category == .credentials)
        #expect(error?.errcode == 40125)
        #expect(await fixture.calls(.mediaGet) == 0)
    }
}
