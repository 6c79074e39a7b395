import Foundation
import Logging

/// The effective configuration of a command: every setting resolved as flag > environment > config file >
/// built-in default, and where each value came from. `resolve` is a pure function of its three inputs, so the
/// precedence is tested without the process environment or /etc; `load` is the one that reads them.
struct Settings: Sendable {
    enum Defaults {
        static let apiBase = "https://api.weixin.qq.com"
        static let tokenMode = TokenMode.stable
        static let cacheSize = ByteSize(bytes: 2 << 30)
        static let negativeTTL: Double = 60
        static let timeout: Double = 30
        static let logLevel = Logger.Level.warning
        static let logFormat = LogFormat.text
        static let maxCallsPerDay = 0
        static let mountOptions: [String] = []
        static let s3Region = "us-east-1"
        static let s3PathStyle = false
        /// Seconds between two rounds of the fleet's messages (MessageShare).
        static let messageShareInterval: Double = 5

        /// AWS's endpoint for the region (virtual-host style); other stores set s3_endpoint.
        static func s3Endpoint(region: String) -> String { "https://s3.\(region).amazonaws.com" }

        /// `$XDG_CACHE_HOME/wxmediafs`, else `~/.cache/wxmediafs`.
        static func cacheDir(environment: [String: String]) -> String {
            if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/wxmediafs" }
            return (environment["HOME"] ?? "/root") + "/.cache/wxmediafs"
        }
    }

    var apiBase: String
    var appid: String?
    var secretFile: String?
    var tokenMode: TokenMode
    var tokenFile: String?
    var cacheDir: String
    var cacheSize: ByteSize
    var negativeTTL: Double
    /// Seconds an upstream call may go without receiving anything (ETIMEDOUT then).
    var timeout: Double
    var logLevel: Logger.Level
    var logFormat: LogFormat
    /// nil: standard error only (and nothing once a mount has detached).
    var logFile: String?
    /// nil: no metrics endpoint.
    var metricsListen: ListenAddress?
    /// nil: no live callback (WeChat's message push).
    var callbackListen: ListenAddress?
    var callbackTokenFile: String?
    var callbackAESKeyFile: String?
    /// 0: no limit.
    var maxCallsPerDay: Int
    var mountOptions: [String]
    /// nil: no shared tier (Settings+Shared.swift).
    var sharedCache: String?
    var s3Endpoint: String
    var s3Region: String
    var s3PathStyle: Bool
    var s3CredentialsFile: String?

    /// Where each value came from; a key missing here is not set (appid, secret_file, token_file, metrics_listen, …).
    var origins: [ConfigKey: SettingOrigin]
    /// Where the appsecret comes from (never the secret itself).
    var secret: SecretSource
    /// Where the callback's token and EncodingAESKey come from (never the values): Settings+Callback.swift.
    var callbackToken: SecretSource = .none
    var callbackAESKey: SecretSource = .none
    /// The config file that was read, if any.
    var configFile: String?

    static func resolve(flags: SettingsLayer, environment: [String: String], file: ConfigFile?) throws(ConfigError) -> Settings {
        var merge = Merge(flags: flags, environment: try SettingsLayer(environment: environment), variables: environment, file: file)
        let settings = Settings(
            apiBase: merge.pick(.apiBase, \.apiBase, default: Defaults.apiBase),
            appid: merge.pick(.appid, \.appid),
            secretFile: merge.pick(.secretFile, \.secretFile),
            tokenMode: merge.pick(.tokenMode, \.tokenMode, default: Defaults.tokenMode),
            tokenFile: merge.pick(.tokenFile, \.tokenFile),
            cacheDir: merge.pick(.cacheDir, \.cacheDir, default: Defaults.cacheDir(environment: environment)),
            cacheSize: merge.pick(.cacheSize, \.cacheSize, default: Defaults.cacheSize),
            negativeTTL: merge.pick(.negativeTTL, \.negativeTTL, default: Defaults.negativeTTL),
            timeout: merge.pick(.timeout, \.timeout, default: Defaults.timeout),
            logLevel: merge.pick(.logLevel, \.logLevel, default: Defaults.logLevel),
            logFormat: merge.pick(.logFormat, \.logFormat, default: Defaults.logFormat),
            logFile: merge.pick(.logFile, \.logFile),
            metricsListen: merge.pick(.metricsListen, \.metricsListen),
            callbackListen: merge.pick(.callbackListen, \.callbackListen),
            callbackTokenFile: merge.pick(.callbackTokenFile, \.callbackTokenFile),
            callbackAESKeyFile: merge.pick(.callbackAESKeyFile, \.callbackAESKeyFile),
            maxCallsPerDay: merge.pick(.maxCallsPerDay, \.maxCallsPerDay, default: Defaults.maxCallsPerDay),
            mountOptions: merge.pick(.mountOptions, \.mountOptions, default: Defaults.mountOptions),
            sharedCache: merge.pick(.sharedCache, \.sharedCache),
            s3Endpoint: "",
            s3Region: merge.pick(.s3Region, \.s3Region, default: Defaults.s3Region),
            s3PathStyle: merge.pick(.s3PathStyle, \.s3PathStyle, default: Defaults.s3PathStyle),
            s3CredentialsFile: merge.pick(.s3CredentialsFile, \.s3CredentialsFile),
            origins: [:],
            secret: .none,
            configFile: file?.path
        )
        var chosen = settings
        chosen.s3Endpoint = merge.pick(.s3Endpoint, \.s3Endpoint, default: Defaults.s3Endpoint(region: settings.s3Region))
        chosen.origins = merge.origins
        return chosen.choosingSecret(environment: environment)
    }

    /// Reads the config file (ConfigFile.locate) and the process environment, then resolves.
    static func load(flags: SettingsLayer, configFlag: String?,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> Settings {
        try resolve(flags: flags, environment: environment, file: try ConfigFile.load(flag: configFlag, environment: environment))
    }

    /// Each secret follows the same precedence: its file from a flag or variable (WXMEDIAFS_SECRET_FILE), else its
    /// own variable (WECHAT_APPSECRET), else its file from the config file.
    private func choosingSecret(environment: [String: String]) -> Settings {
        var settings = self
        settings.secret = secretSource(.secretFile, secretFile, variable: "WECHAT_APPSECRET", environment: environment)
        settings.callbackToken = secretSource(.callbackTokenFile, callbackTokenFile, variable: Self.callbackTokenVariable,
                                              environment: environment)
        settings.callbackAESKey = secretSource(.callbackAESKeyFile, callbackAESKeyFile, variable: Self.callbackAESKeyVariable,
                                               environment: environment)
        return settings
    }

    private func secretSource(_ key: ConfigKey, _ file: String?, variable: String, environment: [String: String]) -> SecretSource {
        let fromConfigFile: Bool = if case .file = origins[key] { true } else { false }
        if let file, !fromConfigFile { return .file(file) }
        if environment[variable].map({ !$0.isEmpty }) == true { return .environment(variable) }  // empty counts as unset, like WXMEDIAFS_*
        if let file { return .file(file) }
        return .none
    }
}

/// Where a setting's value came from, as `config check` prints it.
enum SettingOrigin: Equatable, Sendable {
    case flag
    case environment(String)
    case file(String)
    case builtIn

    var comment: String {
        switch self {
        case .flag: "flag"
        case .environment(let name): "env \(name)"
        case .file(let path): path
        case .builtIn: "default"
        }
    }
}

/// Where the appsecret is read from; the secret itself is never part of the settings.
enum SecretSource: Equatable, Sendable {
    case file(String)
    case environment(String)
    case none

    var path: String? { if case .file(let path) = self { path } else { nil } }
}

/// Takes each key from the first layer that gives it, noting where it came from.
private struct Merge {
    let flags: SettingsLayer
    let environment: SettingsLayer
    let variables: [String: String]
    let file: ConfigFile?
    var origins: [ConfigKey: SettingOrigin] = [:]

    mutating func pick<Value>(_ key: ConfigKey, _ path: KeyPath<SettingsLayer, Value?>) -> Value? {
        if let value = flags[keyPath: path] {
            origins[key] = .flag
            return value
        }
        if let value = environment[keyPath: path] {
            origins[key] = .environment(SettingsLayer.variable(for: key, in: variables)?.name ?? key.environmentName)
            return value
        }
        if let file, let value = file.layer[keyPath: path] {
            origins[key] = .file(file.path)
            return value
        }
        return nil
    }

    mutating func pick<Value>(_ key: ConfigKey, _ path: KeyPath<SettingsLayer, Value?>, default fallback: Value) -> Value {
        if let value = pick(key, path) { return value }
        origins[key] = .builtIn
        return fallback
    }
}
