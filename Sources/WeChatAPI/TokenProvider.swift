import Logging

/// The `AccessTokenSource` used by every API call: one fetch for any number of waiters, refresh ahead of
/// expiry, and generation-checked invalidation. The actor guards the state machine and the waiter list.
///
/// A fetch that fails transiently (-1 busy, 45011, HTTP 5xx, transport, timeout) is retried with the same
/// bounded, jittered `RetryPolicy` as media calls, sleeping through the injected clock; the waiters only
/// hear of the last outcome. Anything else (bad appid/secret, IP not whitelisted, …) fails them at once.
public actor TokenProvider: AccessTokenSource {
    private let fetcher: any TokenFetcher
    private let clock: any APIClock
    private let retry: RetryPolicy
    private let logger: Logger
    /// Where successful fetches and failed tries are counted (nil: nowhere).
    private let counters: APICounters?
    private var machine = TokenStateMachine()
    private var waiters: [CheckedContinuation<AccessToken, any Error>] = []
    /// After a background refresh gave up: no new refresh before this time (the current token is still good).
    private var refreshPausedUntil = -Double.infinity

    public init(fetcher: any TokenFetcher, clock: any APIClock = SystemClock(), retry: RetryPolicy = RetryPolicy(),
                counters: APICounters? = nil, logger: Logger) {
        self.fetcher = fetcher
        self.counters = counters
        self.clock = clock
        self.retry = retry
        self.logger = logger
    }

    public func token() async throws -> AccessToken {
        switch machine.request(now: clock.now()) {
        case .use(let token):
            return token
        case .useAndRefresh(let token):
            if clock.now() < refreshPausedUntil {
                // The machine has marked a fetch as started; we decline it, which is what "failed" resets.
                machine.fetchFailed()
                return token
            }
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

    /// One fetch series: the first try and its bounded retries. Exactly one runs at a time (the machine's
    /// `fetching` flag); callers arriving meanwhile either use the still valid token or wait for this series.
    private func runFetch() async {
        var retries = 0
        while true {
            do {
                let fetched = try await fetcher.fetchToken()
                let token = machine.fetchSucceeded(fetched, now: clock.now())
                counters?.tokenRefreshed()
                refreshPausedUntil = -.infinity
                logger.debug("access token installed", metadata: ["generation": "\(token.generation)"])
                resumeAll(.success(token))
                return
            } catch {
                if let failure = error as? WeChatError { counters?.error(failure) }
                guard let pause = retry.pause(after: error, beforeRetry: retries + 1) else {
                    return fetchFailed(error)
                }
                retries += 1
                let label = (error as? WeChatError)?.shortDescription ?? "error"
                logger.info("access token fetch: \(label), retry \(retries) in \(Int(pause * 1000)) ms")
                do {
                    try await clock.sleep(seconds: pause)
                } catch {
                    return fetchFailed(error)
                }
            }
        }
    }

    private func fetchFailed(_ error: any Error) {
        machine.fetchFailed()
        if let current = machine.current, clock.now() < current.expiresAt {
            // A refresh ahead of expiry gave up: keep serving the current token, and let the endpoint rest
            // before the next refresh (the token may still have minutes to live).
            refreshPausedUntil = clock.now() + retry.tokenRefreshPause
            logger.warning("access token refresh failed, the current token stays in use: \(error)")
        } else {
            logger.warning("access token fetch failed: \(error)")
        }
        resumeAll(.failure(error))
    }

    private func resumeAll(_ result: Result<AccessToken, any Error>) {
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.resume(with: result) }
    }
}
