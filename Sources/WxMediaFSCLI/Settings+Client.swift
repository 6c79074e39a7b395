import Logging
import WeChatAPI

extension Settings {
    /// The token source these settings describe: a token file, or the appid and secret (Credentials reads the
    /// secret from `secret`'s file, else from WECHAT_APPSECRET).
    func tokenSource(logger: Logger) throws -> any AccessTokenSource {
        if let tokenFile { return FileTokenSource(path: tokenFile, logger: logger) }
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
        return TokenProvider(fetcher: fetcher, logger: logger)
    }

    /// `quota`: the ledger that counts (and may limit) today's calls; nil for commands that keep no count.
    func client(logger: Logger, quota: QuotaLedger? = nil) throws -> MediaClient {
        MediaClient(apiBase: apiBase, tokens: try tokenSource(logger: logger), quota: quota, logger: logger)
    }
}
