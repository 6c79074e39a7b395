import ArgumentParser

/// The settings flags of `mount` beyond the API's; `config check` takes them too, to show what a mount would use.
struct MountSettingsOptions: ParsableArguments {
    @Option(help: "Cache directory (default: $XDG_CACHE_HOME/wxmediafs or ~/.cache/wxmediafs).")
    var cacheDir: String?

    @Option(help: "Cache budget, e.g. 2G, 512M (default: \(Settings.Defaults.cacheSize.text)).")
    var cacheSize: ByteSize?

    @Option(help: "Seconds an invalid media_id stays ENOENT without asking the server again (default: \(TOMLLiteral.number(Settings.Defaults.negativeTTL))).")
    var negativeTTL: Double?

    @Option(help: "Seconds a call to WeChat or the CDN may go without receiving a byte; then the read fails with ETIMEDOUT, not retried (default: \(TOMLLiteral.number(Settings.Defaults.timeout))).")
    var timeout: Double?

    @Option(help: ArgumentHelp("Upstream calls a day (China day, from 00:00 UTC+8) after which uncached lookups fail with EDQUOT; 0: no limit (default: 0).", valueName: "n"))
    var maxCallsPerDay: Int?

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9464 (default: off).", valueName: "host:port"))
    var metricsListen: ListenAddress?

    @Option(help: ArgumentHelp("Serve WeChat's message push (plain or safe mode) at http://HOST:PORT/, behind a TLS proxy; messages with media show in inbox/ (default: off).", valueName: "host:port"))
    var callbackListen: ListenAddress?

    @Option(help: ArgumentHelp("File holding the message push Token (default: $\(Settings.callbackTokenVariable)).", valueName: "path"))
    var callbackTokenFile: String?

    @Option(help: ArgumentHelp("File holding the EncodingAESKey, for safe mode (default: $\(Settings.callbackAESKeyVariable); none: plain mode).", valueName: "path"))
    var callbackAesKeyFile: String?

    @Option(help: ArgumentHelp("A shared tier on S3-compatible storage, s3://BUCKET/PREFIX (default: off; docs/fleet.md).", valueName: "s3-url"))
    var sharedCache: String?

    @Option(help: ArgumentHelp("The store's endpoint, e.g. http://127.0.0.1:8333 (default: AWS's for the region).", valueName: "url"))
    var s3Endpoint: String?

    @Option(help: ArgumentHelp("The store's region (default: \(Settings.Defaults.s3Region)).", valueName: "region"))
    var s3Region: String?

    @Option(help: ArgumentHelp("true: the bucket in the path (MinIO, SeaweedFS, Ceph); false: in the host name (AWS, COS) (default: false).", valueName: "bool"))
    var s3PathStyle: Bool?

    @Option(help: ArgumentHelp("An AWS-format credentials file for the store (default: $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY).", valueName: "path"))
    var s3CredentialsFile: String?

    @Option(name: .short, help: ArgumentHelp("FUSE mount options, comma-separated (allow_other, auto_unmount, …); replaces mount_options.", valueName: "option,…"))
    var options: [String] = []

    /// The same checks (and bounds) as the config file and the environment get: SettingsLayer's setters.
    func validate() throws {
        var layer = SettingsLayer()
        do throws(ValueProblem) {
            if let negativeTTL { try layer.set(negativeTTL: negativeTTL) }
        } catch { throw ValidationError("--negative-ttl: \(error.reason)") }
        do throws(ValueProblem) {
            if let timeout { try layer.set(timeout: timeout) }
        } catch { throw ValidationError("--timeout: \(error.reason)") }
        do throws(ValueProblem) {
            if let maxCallsPerDay { try layer.set(maxCallsPerDay: maxCallsPerDay) }
        } catch { throw ValidationError("--max-calls-per-day: \(error.reason)") }
        for (key, value) in [(ConfigKey.sharedCache, sharedCache), (.s3Endpoint, s3Endpoint), (.s3Region, s3Region)] {
            guard let value else { continue }
            do throws(ValueProblem) { try layer.set(key, text: value) } catch { throw ValidationError("--\(key.name.replacingOccurrences(of: "_", with: "-")): \(error.reason)") }
        }
        // A secret given as a FUSE option would reach libfuse, which echoes unknown options into the log.
        for option in options.flatMap({ $0.split(separator: ",") }) {
            let key = String(option.split(separator: "=", maxSplits: 1).first ?? "")
            if MountHelperArguments.secretKeys.contains(key) {
                throw ValidationError("-o \(key)=… is refused: a secret does not belong in mount options (argv is public); use --secret-file PATH (--callback-token-file, --callback-aes-key-file for the callback's)")
            }
        }
    }

    func add(to layer: inout SettingsLayer) {
        layer.cacheDir = cacheDir
        layer.cacheSize = cacheSize
        layer.negativeTTL = negativeTTL
        layer.timeout = timeout
        layer.maxCallsPerDay = maxCallsPerDay
        layer.metricsListen = metricsListen
        layer.callbackListen = callbackListen
        layer.callbackTokenFile = callbackTokenFile
        layer.callbackAESKeyFile = callbackAesKeyFile
        layer.mountOptions = options.isEmpty ? nil : options
        layer.sharedCache = sharedCache
        layer.s3Endpoint = s3Endpoint
        layer.s3Region = s3Region
        layer.s3PathStyle = s3PathStyle
        layer.s3CredentialsFile = s3CredentialsFile
    }
}

extension ListenAddress: ExpressibleByArgument {
    init?(argument: String) { self.init(argument) }
}
