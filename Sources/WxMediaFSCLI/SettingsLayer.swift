import Foundation
import Logging

/// The settings one source gives (the flags, the environment or a config file); nil: not given there.
/// Settings.swift merges the layers; values are checked when a layer is made, so a layer holds only usable ones.
struct SettingsLayer: Equatable, Sendable {
    var apiBase: String?
    var appid: String?
    var secretFile: String?
    var tokenMode: TokenMode?
    var tokenFile: String?
    var cacheDir: String?
    var cacheSize: ByteSize?
    var negativeTTL: Double?
    var timeout: Double?
    var logLevel: Logger.Level?
    var logFormat: LogFormat?
    var logFile: String?
    var metricsListen: ListenAddress?
    var callbackListen: ListenAddress?
    var callbackTokenFile: String?
    var callbackAESKeyFile: String?
    var maxCallsPerDay: Int?
    var mountOptions: [String]?
    var sharedCache: String?
    var s3Endpoint: String?
    var s3Region: String?
    var s3PathStyle: Bool?
    var s3CredentialsFile: String?
}

/// Why a value was refused; the caller adds where it came from and the key.
struct ValueProblem: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

extension SettingsLayer {
    /// Sets `key` from text: an environment variable's value, or a string in a config file.
    /// Numbers are read from their decimal text; `mount_options` is comma-separated.
    mutating func set(_ key: ConfigKey, text: String) throws(ValueProblem) {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty || key == .mountOptions else { throw ValueProblem("empty") }
        switch key {
        case .apiBase:
            guard Self.isHTTPURL(text) else { throw ValueProblem("not an http:// or https:// URL") }
            apiBase = text
        case .appid: appid = text
        case .secretFile: secretFile = text
        case .tokenFile: tokenFile = text
        case .cacheDir: cacheDir = text
        case .tokenMode:
            guard let mode = TokenMode(rawValue: text) else { throw ValueProblem("not stable or classic") }
            tokenMode = mode
        case .cacheSize:
            guard let size = ByteSize(argument: text) else { throw ValueProblem("not a size (use e.g. 2G, 512M)") }
            cacheSize = size
        case .negativeTTL:
            guard let seconds = Double(text) else { throw Self.badSeconds }
            try set(negativeTTL: seconds)
        case .timeout:
            guard let seconds = Double(text) else { throw Self.badTimeout }
            try set(timeout: seconds)
        case .logLevel:
            guard let level = Logger.Level(rawValue: text) else { throw ValueProblem("not one of \(Self.levels)") }
            logLevel = level
        case .logFormat:
            guard let format = LogFormat(rawValue: text) else { throw ValueProblem("not text or json") }
            logFormat = format
        case .logFile:
            guard text.hasPrefix("/") else { throw ValueProblem("not an absolute path") }
            logFile = text
        case .metricsListen, .callbackListen:
            guard let address = ListenAddress(text) else { throw ValueProblem("not HOST:PORT (e.g. 127.0.0.1:9100, [::1]:9100)") }
            if key == .metricsListen { metricsListen = address } else { callbackListen = address }
        case .callbackTokenFile: callbackTokenFile = text
        case .callbackAESKeyFile: callbackAESKeyFile = text
        case .maxCallsPerDay:
            guard let count = Int(text) else { throw Self.badCount }
            try set(maxCallsPerDay: count)
        case .mountOptions:
            mountOptions = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .sharedCache:
            guard text.hasPrefix("s3://"), text.count > 5 else { throw ValueProblem("not s3://BUCKET/PREFIX") }
            sharedCache = text
        case .s3Endpoint:
            guard Self.isHTTPURL(text) else { throw ValueProblem("not an http:// or https:// URL") }
            // A key in the URL would be printed by config check and sent to no one: credentials have their own file.
            guard let url = URLComponents(string: text), url.user == nil, url.password == nil else {
                throw ValueProblem("not a plain http(s)://HOST[:PORT] (credentials go in s3_credentials_file)")
            }
            s3Endpoint = text
        case .s3Region: s3Region = text
        case .s3PathStyle:
            guard let value = Bool(text) else { throw ValueProblem("not true or false") }
            s3PathStyle = value
        case .s3CredentialsFile: s3CredentialsFile = text
        }
    }

    /// The largest values taken: beyond them a number is a mistake (and arithmetic on it could trap).
    static let largestNegativeTTL: Double = 3 * 86_400  // WeChat's media life: a failure is never worth more
    static let largestTimeout: Double = 3_600
    static let largestCallsPerDay = 100_000_000

    mutating func set(negativeTTL seconds: Double) throws(ValueProblem) {
        guard seconds.isFinite, seconds >= 0 else { throw Self.badSeconds }
        guard seconds <= Self.largestNegativeTTL else { throw ValueProblem("over \(Int(Self.largestNegativeTTL)) s (3 days, the media's life)") }
        negativeTTL = seconds
    }

    mutating func set(timeout seconds: Double) throws(ValueProblem) {
        guard seconds.isFinite, seconds > 0 else { throw Self.badTimeout }
        guard seconds >= 0.01, seconds <= Self.largestTimeout else { throw ValueProblem("not between 0.01 and \(Int(Self.largestTimeout)) s") }
        timeout = seconds
    }

    mutating func set(maxCallsPerDay count: Int) throws(ValueProblem) {
        guard count >= 0 else { throw Self.badCount }
        guard count <= Self.largestCallsPerDay else { throw ValueProblem("over \(Self.largestCallsPerDay) (WeChat's own quotas are far lower)") }
        maxCallsPerDay = count
    }

    static func isHTTPURL(_ text: String) -> Bool { text.hasPrefix("http://") || text.hasPrefix("https://") }

    static let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
    private static let badSeconds = ValueProblem("not a number of seconds (0 or more)")
    private static let badTimeout = ValueProblem("not a number of seconds (more than 0)")
    private static let badCount = ValueProblem("not a whole number of 0 or more (0: no limit)")
}
