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

    @Option(name: .short, help: ArgumentHelp("FUSE mount options, comma-separated (allow_other, auto_unmount, …); replaces mount_options.", valueName: "option,…"))
    var options: [String] = []

    func validate() throws {
        if let negativeTTL, !(negativeTTL.isFinite && negativeTTL >= 0) {
            throw ValidationError("--negative-ttl must be a number of seconds, 0 or more")
        }
        if let timeout, !(timeout.isFinite && timeout > 0) {
            throw ValidationError("--timeout must be a number of seconds, more than 0")
        }
        if let maxCallsPerDay, maxCallsPerDay < 0 {
            throw ValidationError("--max-calls-per-day must be a whole number, 0 or more (0: no limit)")
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
    }
}

extension ListenAddress: ExpressibleByArgument {
    init?(argument: String) { self.init(argument) }
}
