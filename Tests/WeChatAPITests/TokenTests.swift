import Locking
import Synchronization
import Testing
@testable import WeChatAPI
@testable import WeChatHTTP
import Scratch

/// A fetcher that counts and can be held, to line up concurrent callers.
final class CountingFetcher: TokenFetcher {
    let count = Mutex(0)
    let lifetime: Double?

    init(lifetime: Double? = 7200) { self.lifetime = lifetime }

    func fetchToken() async throws -> FetchedToken {
        let number = count.locked { value -> Int in
            value += 1
            return value
        }
        try await Task.sleep(nanoseconds: 20_000_000)
        return FetchedToken(value: "token-\(number)", expiresIn: lifetime)
    }

    var fetches: Int { count.locked { $0 } }
}

@Suite struct TokenTests {
    @Test func hundredConcurrentCallersAtExpiryMakeOneFetch() async throws {
        let clock = ManualClock()
        let fetcher = CountingFetcher()
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: quietLogger())
        _ = try await provider.token()
        clock.advance(by: 7201)
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<100 { group.addTask { try await provider.token().value } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(values == ["token-2"])
        #expect(fetcher.fetches == 2)
    }

    @Test func refreshesAheadOfExpiryWhileStillServing() async throws {
        let clock = ManualClock()
        let fetcher = CountingFetcher()
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: quietLogger())
        #expect(try await provider.token().value == "token-1")
        clock.advance(by: 7200 - 100)  // inside the refresh window, not expired
        #expect(try await provider.token().value == "token-1")  // served at once; the refresh runs behind
        var latest = "token-1"
        for _ in 0..<500 where latest == "token-1" {  // the background refresh lands within 5 s even on a busy machine
            try await Task.sleep(nanoseconds: 10_000_000)
            latest = try await provider.token().value
        }
        #expect(latest == "token-2")
        #expect(fetcher.fetches == 2)
    }

    @Test func aStaleRejectionDoesNotDropTheNewToken() async throws {
        let fetcher = CountingFetcher()
        let provider = TokenProvider(fetcher: fetcher, clock: ManualClock(), logger: quietLogger())
        let first = try await provider.token()
        await provider.invalidate(first)
        let second = try await provider.token()
        #expect(second.generation == first.generation + 1)
        await provider.invalidate(first)  // a late 40001 for the old token
        #expect(try await provider.token() == second)
        #expect(fetcher.fetches == 2)
    }

    @Test func stateMachineTransitions() {
        var machine = TokenStateMachine()
        #expect(machine.request(now: 0) == .fetchAndWait)
        #expect(machine.request(now: 0) == .wait)
        let token = machine.fetchSucceeded(FetchedToken(value: "a", expiresIn: 1000), now: 0)
        #expect(token.refreshAt == 800)
        #expect(machine.request(now: 500) == .use(token))
        #expect(machine.request(now: 900) == .useAndRefresh(token))
        #expect(machine.request(now: 901) == .use(token))
        // The same stable token again near its end keeps its generation, with a later refresh point.
        let again = machine.fetchSucceeded(FetchedToken(value: "a", expiresIn: 100), now: 900)
        #expect(again.generation == token.generation)
        let droppedStale = machine.invalidate(generation: 99)
        #expect(!droppedStale)
        let droppedCurrent = machine.invalidate(generation: token.generation)
        #expect(droppedCurrent)
        #expect(machine.request(now: 950) == .fetchAndWait)
        machine.fetchFailed()
        #expect(machine.request(now: 950) == .fetchAndWait)
    }

    @Test func classicTokensInvalidateTheirPredecessorsAfterTheGrace() async throws {
        let fixture = try await SimFixture.start(classic: true)
        defer { Task { await fixture.sim.stop() } }
        let fetcher = ClassicTokenFetcher(apiBase: fixture.sim.baseURL, credentials: Credentials(appID: SimFixture.appID, secret: SimFixture.secret))
        let first = try await fetcher.fetchToken()
        let second = try await fetcher.fetchToken()
        #expect(first.value != second.value)
        #expect(first.expiresIn == 7200)
        let stable = StableTokenFetcher(apiBase: fixture.sim.baseURL, credentials: Credentials(appID: SimFixture.appID, secret: SimFixture.secret))
        #expect(try await stable.fetchToken().value == (try await stable.fetchToken().value))
    }

    @Test func aTokenFileIsReadAgainWhenItChanges() async throws {
        let path = Scratch.path("token")
        try "first-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let source = FileTokenSource(path: path, logger: quietLogger())
        #expect(try await source.token().value == "first-token")
        try await Task.sleep(nanoseconds: 20_000_000)
        try "second-token-longer\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await source.token().value == "second-token-longer")
    }
}
import Foundation
