/// The daily quotas, as the real server keeps them: calls per API per China day (reset at 00:00 UTC+8), each API
/// with its own daily limit; a call past the limit answers 45009 and is not counted. The video CDN is not an API
/// and has no quota. `/__sim/reset` does not touch these counts (they are the server's, not the test's).
struct DailyQuotaBook: Sendable {
    /// Days since 1970-01-01 in UTC+8; nil before the first call.
    var day: Int64?
    var used: [SimEndpoint: Int] = [:]
}

extension SimulatorState {
    /// The token endpoints' limit (the API doc: about 2000 a day for /cgi-bin/token; stable_token assumed alike).
    static let tokenDailyLimit = 2000
    /// openapi/quota/get's own limit: not documented; generous, so that asking never gets in the way.
    static let quotaGetDailyLimit = 10_000

    /// The China day (UTC+8) of a time in seconds since 1970, as days since 1970-01-01.
    static func chinaDay(_ time: Double) -> Int64 {
        let seconds = Int64(time.rounded(.down)) + 8 * 3600
        return seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
    }

    /// The daily limit of an API; nil for what has none (the CDN).
    func dailyLimit(of endpoint: SimEndpoint) -> Int? {
        switch endpoint {
        case .mediaGet, .jssdk, .upload: knobs.dailyLimit
        case .token, .stableToken: Self.tokenDailyLimit
        case .quotaGet: Self.quotaGetDailyLimit
        case .cdn, .files: nil
        }
    }

    /// Counts a call of `endpoint` on today's quota, or answers false (nothing counted) when the day's calls
    /// have reached its limit.
    func spendDailyQuota(_ endpoint: SimEndpoint) -> Bool {
        rollDailyQuota()
        guard let limit = dailyLimit(of: endpoint) else { return true }
        let used = daily.used[endpoint, default: 0]
        guard used < limit else { return false }
        daily.used[endpoint] = used + 1
        return true
    }

    /// Today's limit and calls of an API (the answer of openapi/quota/get).
    func dailyQuota(of endpoint: SimEndpoint) -> (limit: Int, used: Int) {
        rollDailyQuota()
        return (dailyLimit(of: endpoint) ?? 0, daily.used[endpoint, default: 0])
    }

    /// Today's calls per API (those with a quota).
    public func dailyUsed() -> [SimEndpoint: Int] {
        rollDailyQuota()
        return daily.used
    }

    private func rollDailyQuota() {
        let today = Self.chinaDay(now())
        if daily.day != today { daily = DailyQuotaBook(day: today) }
    }
}
