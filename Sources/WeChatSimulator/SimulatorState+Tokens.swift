/// Tokens as the real server issues them. Classic (`/cgi-bin/token`): each fetch supersedes the previous
/// token, which keeps working for a 300 s grace; anything older answers 40001. Stable (`/cgi-bin/stable_token`):
/// one current token handed to every caller with its remaining lifetime, replaced only when none or expired,
/// or on force_refresh (which revokes the previous one at once, ≥30 s apart, ≤20 a day). The two sets are
/// separate; media endpoints accept both.
struct TokenBook: Sendable {
    struct Record: Sendable {
        var expiresAt: Double
        var revokedAt: Double?
    }

    var records: [String: Record] = [:]
    var classicCurrent: String?
    var classicPrevious: String?
    var stableCurrent: String?
    var forcedRefreshes: [Double] = []
}

enum TokenCheck: Sendable { case valid, invalid, expired }

extension SimulatorState {
    static let classicGrace = 300.0

    func check(token: Substring?) -> TokenCheck {
        guard let token, let record = tokens.records[String(token)] else { return .invalid }
        let time = now()
        if time >= record.expiresAt { return .expired }
        if let revokedAt = record.revokedAt, time >= revokedAt { return .invalid }
        return .valid
    }

    /// 40013 / 40125, or nil when the credentials are right.
    func credentialError(appID: Substring?, secret: Substring?) -> WeChatError? {
        guard appID.map(String.init) == self.appID else { return .invalidAppID }
        guard secret.map(String.init) == appSecret else { return .invalidSecret }
        return nil
    }

    func issueClassicToken() -> (token: String, expiresIn: Int) {
        let time = now()
        if let previous = tokens.classicPrevious {
            revoke(previous, at: time)
        }
        if let current = tokens.classicCurrent {
            revoke(current, at: time + Self.classicGrace)
            tokens.classicPrevious = current
        }
        let token = newToken(at: time)
        tokens.classicCurrent = token
        return (token, knobs.tokenTTL)
    }

    func stableToken(forceRefresh: Bool) -> Result<(token: String, expiresIn: Int), WeChatError> {
        let time = now()
        if forceRefresh {
            tokens.forcedRefreshes.removeAll { $0 <= time - 86_400 }
            if let last = tokens.forcedRefreshes.last, time - last < 30 { return .failure(.dailyQuota) }
            if tokens.forcedRefreshes.count >= 20 { return .failure(.dailyQuota) }
            tokens.forcedRefreshes.append(time)
            if let current = tokens.stableCurrent { revoke(current, at: time) }
        } else if let current = tokens.stableCurrent, let record = tokens.records[current],
                  time < record.expiresAt, record.revokedAt.map({ time < $0 }) ?? true {
            return .success((current, Int((record.expiresAt - time).rounded(.up))))
        }
        let token = newToken(at: time)
        tokens.stableCurrent = token
        return .success((token, knobs.tokenTTL))
    }

    /// Every token issued so far, valid or not.
    public func issuedTokens() -> [String] { tokens.records.keys.sorted() }

    /// Every token issued so far answers 42001 from now on.
    public func expireAllTokens() {
        let time = now()
        for token in tokens.records.keys {
            tokens.records[token]!.expiresAt = min(tokens.records[token]!.expiresAt, time)
        }
    }

    private func revoke(_ token: String, at time: Double) {
        guard let record = tokens.records[token] else { return }
        tokens.records[token]!.revokedAt = min(record.revokedAt ?? time, time)
    }

    /// ~136 characters of `[A-Za-z0-9_-]`, the length real tokens have (they may grow to 512).
    private func newToken(at time: Double) -> String {
        let token = MediaID.randomString(count: 136, from: MediaID.alphabet)
        tokens.records[token] = TokenBook.Record(expiresAt: time + Double(knobs.tokenTTL))
        return token
    }
}
