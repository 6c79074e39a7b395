import Logging

/// The `AccessTokenSource` used by every API call: one fetch for any number of waiters, refresh ahead of
/// expiry, and generation-checked invalidation. The actor guards the state machine and the waiter list.
public actor TokenProvider: AccessTokenSource {
    private let fetcher: any TokenFetcher
    private let clock: any APIClock
    private let logger: Logger
    private var machine = TokenStateMachine()
    private var waiters: [CheckedContinuation<AccessToken, any Error>] = []

    public init(fetcher: any TokenFetcher, clock: any APIClock = SystemClock(), logger: Logger) {
        self.fetcher = fetcher
        self.clock = clock
        self.logger = logger
    }

    public func token() async throws -> AccessToken {
        switch machine.request(now: clock.now()) {
        case .use(let token):
            return token
        case .useAndRefresh(let token):
            Task { await self.runFetch() }
            return token
        case .fetchAndWait:
            Task { await self.runFetch() }
            return try await wait()
        case .wait:
            return try await wait()
        }
    }

    public func invalidate(_ token: AccessToken) async {
        if machine.invalidate(generation: token.generation) {
            logger.info("access token rejected by the server; a new one will be fetched", metadata: ["generation": "\(token.generation)"])
        }
    }

    private func wait() async throws -> AccessToken {
        try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func runFetch() async {
        do {
            let fetched = try await fetcher.fetchToken()
            let token = machine.fetchSucceeded(fetched, now: clock.now())
            logger.debug("access token installed", metadata: ["generation": "\(token.generation)"])
            resumeAll(.success(token))
        } catch {
            machine.fetchFailed()
            logger.warning("access token fetch failed: \(error)")
            resumeAll(.failure(error))
        }
    }

    private func resumeAll(_ result: Result<AccessToken, any Error>) {
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.resume(with: result) }
    }
}
