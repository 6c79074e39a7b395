/// The token refresh protocol as a value type: events in, actions out, no I/O (tested on its own).
///
/// Many callers may ask at once; exactly one fetch runs; callers arriving during a fetch wait for it.
/// Ahead of expiry the current token is still handed out while one background refresh runs.
struct TokenStateMachine {
    enum RequestAction: Equatable {
        /// Hand this token to the caller.
        case use(AccessToken)
        /// Hand this token out and start a background refresh (the token is in its refresh window).
        case useAndRefresh(AccessToken)
        /// No usable token: start a fetch, and wait for it.
        case fetchAndWait
        /// A fetch is running: wait for it.
        case wait
    }

    private(set) var current: AccessToken?
    private(set) var fetching = false
    private(set) var generation = 0

    mutating func request(now: Double) -> RequestAction {
        if let token = current, now < token.expiresAt {
            if now >= token.refreshAt, !fetching {
                fetching = true
                return .useAndRefresh(token)
            }
            return .use(token)
        }
        if fetching { return .wait }
        fetching = true
        return .fetchAndWait
    }

    /// Installs a fetched token and returns it (every waiter gets it).
    mutating func fetchSucceeded(_ fetched: FetchedToken, now: Double) -> AccessToken {
        fetching = false
        if let token = current, token.value == fetched.value {
            // The server gave the same token again (stable mode inside its validity): keep the generation.
            let refreshed = Self.make(fetched, generation: token.generation, now: now)
            current = refreshed
            return refreshed
        }
        generation += 1
        let token = Self.make(fetched, generation: generation, now: now)
        current = token
        return token
    }

    mutating func fetchFailed() {
        fetching = false
    }

    /// Drops the current token if it is the rejected one. Returns whether it did.
    @discardableResult
    mutating func invalidate(generation rejected: Int) -> Bool {
        guard let token = current, token.generation == rejected else { return false }
        current = nil
        return true
    }

    static func make(_ fetched: FetchedToken, generation: Int, now: Double) -> AccessToken {
        guard let lifetime = fetched.expiresIn, lifetime > 0 else {
            return AccessToken(value: fetched.value, generation: generation, expiresAt: .infinity, refreshAt: .infinity)
        }
        // Refresh when 20% of the lifetime is left, but not in the last 30 s only, and never right away:
        // a stable token near its end comes back with a small expires_in, and this halves the wait each time.
        let lead = min(max(lifetime * 0.2, 30), lifetime / 2)
        return AccessToken(
            value: fetched.value, generation: generation,
            expiresAt: now + lifetime, refreshAt: now + lifetime - lead
        )
    }
}
