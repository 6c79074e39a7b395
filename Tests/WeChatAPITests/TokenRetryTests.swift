import Locking
import Synchronization
import Testing
@testable import WeChatAPI
@testable import WeChatHTTP
import WeChatSimulator

/// A fetcher whose n-th fetch (1-based) fails with `outcome(n)`, or succeeds with `token-n` when that is nil.
final class ScriptedFetcher: TokenFetcher {
    private let count = Mutex(0)
    private let outcome: @Sendable (Int) -> WeChatError?

    init(_ outcome: @escaping @Sendable (Int) -> WeChatError?) { self.outcome = outcome }

    func fetchToken() async throws -> FetchedToken {
        let number = count.locked { value -> Int in
            value += 1
            return value
        }
        try await Task.sleep(nanoseconds: 5_000_000)  // long enough for concurrent callers to line up
        if let error = outcome(number) { throw error }
        return FetchedToken(value: "token-\(number)", expiresIn: 7200)
    }

    var fetches: Int { count.locked { $0 } }
}

private let busy = WeChatError(.api(errcode: -1), "system error")

/// Polls `condition` every 10 ms for up to 5 s (a background task on a busy machine), without touching the provider.
private func eventually(_ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
    return condition()
}

@Suite struct TokenRetryTests {
    @Test(arguments: [busy, WeChatError(.http(status: 502), "bad gateway"), WeChatError(.transport, "reset"),
                      WeChatError(.timeout, "read timeout")])
    func transientFailuresAreRetriedAndEveryWaiterGetsTheToken(_ failure: WeChatError) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let fetcher = ScriptedFetcher { $0 <= 2 ? failure : nil }
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: quietLogger())
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await provider.token().value } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(values == ["token-3"])
        #expect(fetcher.fetches == 3)
        // The two pauses of the default policy (0.25 s and 0.5 s, each jittered down to half) went through the clock.
        let slept = clock.now() - start
        #expect(slept >= 0.375 && slept <= 0.75)
    }

    @Test(arguments: [40013, 40125, 40164, 61004])
    func credentialAndWhitelistErrorsFailAtOnce(_ code: Int) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let fetcher = ScriptedFetcher { _ in WeChatError(.api(errcode: code), "refused") }
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: quietLogger())
        let errors = await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    do { _ = try await provider.token(); return nil } catch { return (error as? WeChatError)?.errcode }
                }
            }
            return await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(errors == Array(repeating: code, count: 5))
        #expect(fetcher.fetches == 1)
        #expect(clock.now() == start)
    }

    @Test func aBusyEndpointFailsTheWaitersAfterTheBound() async throws {
        let fetcher = ScriptedFetcher { _ in busy }
        let provider = TokenProvider(fetcher: fetcher, clock: ManualClock(), logger: quietLogger())
        let error = await #expect(throws: WeChatError.self) { try await provider.token() }
        #expect(error?.errcode == -1)
        #expect(fetcher.fetches == RetryPolicy().attempts)
    }

    @Test func aRejectedTokenIsReplacedThroughABusyEndpoint() async throws {
        let fetcher = ScriptedFetcher { $0 == 2 || $0 == 3 ? busy : nil }
        let provider = TokenProvider(fetcher: fetcher, clock: ManualClock(), logger: quietLogger())
        let first = try await provider.token()
        await provider.invalidate(first)  // a 40001
        #expect(try await provider.token().value == "token-4")
        #expect(fetcher.fetches == 4)
    }

    @Test func aRefreshAheadIsRetriedInTheBackground() async throws {
        let clock = ManualClock()
        let fetcher = ScriptedFetcher { $0 == 2 || $0 == 3 ? busy : nil }
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: quietLogger())
        #expect(try await provider.token().value == "token-1")
        clock.advance(by: 7200 - 100)  // inside the refresh window
        #expect(try await provider.token().value == "token-1")  // served at once; the refresh runs behind
        // No further call: the refresh retries on its own.
        #expect(try await eventually { fetcher.fetches == 4 })
        var latest = "token-1"
        for _ in 0..<500 where latest == "token-1" {
            try await Task.sleep(nanoseconds: 10_000_000)
            latest = try await provider.token().value
        }
        #expect(latest == "token-4")
        #expect(fetcher.fetches == 4)
    }

    @Test func aRefreshThatGivesUpKeepsTheTokenAndLetsTheEndpointRest() async throws {
        let clock = ManualClock()
        let fetcher = ScriptedFetcher { $0 >= 2 ? busy : nil }
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: quietLogger())
        _ = try await provider.token()
        clock.advance(by: 7200 - 100)
        #expect(try await provider.token().value == "token-1")
        let series = 1 + RetryPolicy().attempts
        #expect(try await eventually { fetcher.fetches == series })
        for _ in 0..<20 {  // the token is still valid: served, and no new series right away
            #expect(try await provider.token().value == "token-1")
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        #expect(fetcher.fetches == series)
        clock.advance(by: RetryPolicy().tokenRefreshPause)
        #expect(try await provider.token().value == "token-1")
        #expect(try await eventually { fetcher.fetches > series })  // the pause is over: a new refresh
    }

    @Test(arguments: [SimFault.busy, .http500])
    func theSimulatorsStableTokenEndpointIsRetried(_ fault: SimFault) async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(fault, endpoint: .stableToken, count: 2)
        let (_, bytes) = try await fixture.download(.image)
        #expect(bytes == (await fixture.sim.bytes(of: fixture.item(.image).id, kind: .image)))
        #expect(await fixture.calls(.stableToken) == 3)
    }
}
