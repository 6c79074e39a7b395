/// The settings a config file, the environment or a flag can give, by their config-file name (snake_case).
/// The environment names one as `WXMEDIAFS_<KEY>`; the order here is the order `config check` prints.
enum ConfigKey: String, CodingKey, CaseIterable, Sendable {
    case apiBase = "api_base"
    case appid
    case secretFile = "secret_file"
    case tokenMode = "token_mode"
    case tokenFile = "token_file"
    case cacheDir = "cache_dir"
    case cacheSize = "cache_size"
    case negativeTTL = "negative_ttl"
    case timeout
    case logLevel = "log_level"
    case logFormat = "log_format"
    case logFile = "log_file"
    case metricsListen = "metrics_listen"
    case callbackListen = "callback_listen"
    case callbackTokenFile = "callback_token_file"
    case callbackAESKeyFile = "callback_aes_key_file"
    case maxCallsPerDay = "max_calls_per_day"
    case mountOptions = "mount_options"
    case sharedCache = "shared_cache"
    case s3Endpoint = "s3_endpoint"
    case s3Region = "s3_region"
    case s3PathStyle = "s3_path_style"
    case s3CredentialsFile = "s3_credentials_file"

    var name: String { rawValue }

    /// `WXMEDIAFS_CACHE_DIR` for `cache_dir`.
    var environmentName: String { "WXMEDIAFS_" + rawValue.uppercased() }

    /// The TOML type a config file must give, for error messages.
    var expectedType: String {
        switch self {
        case .negativeTTL, .timeout: "a number of seconds"
        case .maxCallsPerDay: "an integer"
        case .mountOptions: "an array of strings"
        case .s3PathStyle: "a boolean"
        case .cacheSize: "a string such as \"2G\""
        default: "a string"
        }
    }

    static var known: String { allCases.map(\.name).joined(separator: ", ") }
}
