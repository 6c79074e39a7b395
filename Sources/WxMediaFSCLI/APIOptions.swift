import ArgumentParser
import Logging
import WeChatAPI

enum TokenMode: String, ExpressibleByArgument, CaseIterable {
    case stable, classic
}

/// Options shared by every command that talks to the API. The secret never comes from argv.
struct APIOptions: ParsableArguments {
    @Option(help: "Base URL of the API.")
    var apiBase: String = "https://api.weixin.qq.com"

    @Option(help: "The Official Account's appid (default: $WECHAT_APPID).")
    var appid: String?

    @Option(help: "File holding the appsecret (default: $WECHAT_APPSECRET).")
    var secretFile: String?

    @Option(help: "stable (POST /cgi-bin/stable_token, safe for many hosts) or classic (/cgi-bin/token).")
    var tokenMode: TokenMode = .stable

    @Option(help: "Use the access token kept in this file by a central token service (re-read when it changes).")
    var tokenFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "warning"

    func validate() throws {
        guard apiBase.hasPrefix("http://") || apiBase.hasPrefix("https://") else {
            throw ValidationError("--api-base must be an http:// or https:// URL")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The token source these options describe.
    func tokenSource(logger: Logger) throws -> any AccessTokenSource {
        if let tokenFile { return FileTokenSource(path: tokenFile, logger: logger) }
        let credentials = try Credentials.load(appID: appid, secretFile: secretFile)
        let fetcher: any TokenFetcher = switch tokenMode {
        case .stable: StableTokenFetcher(apiBase: apiBase, credentials: credentials)
        case .classic: ClassicTokenFetcher(apiBase: apiBase, credentials: credentials)
        }
        return TokenProvider(fetcher: fetcher, logger: logger)
    }

    func client(logger: Logger) throws -> MediaClient {
        MediaClient(apiBase: apiBase, tokens: try tokenSource(logger: logger), logger: logger)
    }
}
