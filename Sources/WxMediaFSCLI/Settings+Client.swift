import Logging
import WeChatHTTP

extension Settings {
    /// The token source these settings describe: a token file, or the appid and secret (Credentials reads the
    /// secret from `secret`'s file, else from WECHAT_APPSECRET).
    /// `counters`: where token refreshes are counted (the client's, so `.wxmediafs/stats` shows them).
    func tokenSource(counters: APICounters? = nil, logger: Logger) throws -> any AccessTokenSource {
        // Before any call: the HTTP client is made with it on first use.
        APITimeouts.setIdle(seconds: timeout)
        if let tokenFile { return FileTokenSource(path: tokenFile, counters: counters, logger: logger) }
        guard appid != nil else {
            throw ConfigError("no appid — set appid in the config file, WXMEDIAFS_APPID (or WECHAT_APPID), or pass --appid")
        }
        if case .none = secret {
            throw ConfigError("no appsecret — set secret_file in the config file or --secret-file (a file of mode 0600), or WECHAT_APPSECRET")
        }
        let credentials = try Credentials.load(appID: appid, secretFile: secret.path)
        let fetcher: any TokenFetcher = switch tokenMode {
        case .stable: StableTokenFetcher(apiBase: apiBase, credentials: credentials)
        case .classic: ClassicTokenFetcher(apiBase: apiBase, credentials: credentials)
        }
        return TokenProvider(fetcher: fetcher, counters: counters, logger: logger)
    }

    /// `quota`: the ledger that counts (and may limit) today's calls; nil for commands that keep no count.
    func client(logger: Logger, quota: QuotaLedger? = nil) throws -> MediaClient {
        let counters = APICounters()
        return MediaClient(apiBase: apiBase, tokens: try tokenSource(counters: counters, logger: logger),
                           idleTimeout: .milliseconds(Int64(timeout * 1000)), counters: counters, quota: quota, logger: logger)
    }
}
