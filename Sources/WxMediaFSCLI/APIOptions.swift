import ArgumentParser
import Logging
import WeChatAPI

enum TokenMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case stable, classic
}

extension LogFormat: ExpressibleByArgument {}

/// Options shared by every command that talks to the API. The secret never comes from argv.
/// No option has a default of its own: a flag not given leaves the value to the environment, the config file or
/// Settings.Defaults (Settings.swift), so the help says the defaults in words.
struct APIOptions: ParsableArguments {
    @Option(help: "Base URL of the API (default: \(Settings.Defaults.apiBase)).")
    var apiBase: String?

    @Option(help: "The Official Account's appid (default: $WECHAT_APPID).")
    var appid: String?

    @Option(help: ArgumentHelp("File holding the appsecret, mode 0600 (without it: the secret itself in $WECHAT_APPSECRET).", valueName: "path"))
    var secretFile: String?

    @Option(help: "stable (POST /cgi-bin/stable_token, safe for many hosts) or classic (/cgi-bin/token) (default: \(Settings.Defaults.tokenMode.rawValue)).")
    var tokenMode: TokenMode?

    @Option(help: "Use the access token kept in this file by a central token service (re-read when it changes).")
    var tokenFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: \(Settings.Defaults.logLevel.rawValue)).")
    var logLevel: String?

    @Option(help: "text (one line per message, the default) or json (one JSON object per line, for journald or Loki).")
    var logFormat: LogFormat?

    @Option(help: "Also append the log to this file (a mount that detached, as under mount(8) and fstab, logs nowhere else).")
    var logFile: String?

    @OptionGroup var config: ConfigFileOption

    func validate() throws {
        if let apiBase, !SettingsLayer.isHTTPURL(apiBase) {
            throw ValidationError("--api-base must be an http:// or https:// URL")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of \(SettingsLayer.levels)")
        }
    }

    /// What these flags give; nil where a flag was not given.
    var flags: SettingsLayer {
        SettingsLayer(apiBase: apiBase, appid: appid, secretFile: secretFile, tokenMode: tokenMode, tokenFile: tokenFile,
                      logLevel: logLevel.flatMap(Logger.Level.init(rawValue:)), logFormat: logFormat, logFile: logFile)
    }

    /// The effective settings: these flags (and the command's own, added by `more`) over the environment, the
    /// config file and the defaults.
    func settings(_ more: (inout SettingsLayer) -> Void = { _ in }) throws(ConfigError) -> Settings {
        var layer = flags
        more(&layer)
        return try Settings.load(flags: layer, configFlag: config.path)
    }
}
