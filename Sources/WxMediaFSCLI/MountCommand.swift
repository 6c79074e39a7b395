import ArgumentParser
import Foundation
import SharedStore
import Logging
import MediaFS
import WeChatAPI
import WeChatCallback

struct MountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount temporary media as files: media/<id>.<ext>, hd/<id>.speex and .wav, .wxmediafs/stats.",
        discussion: """
            Stays in the foreground until unmounted (fusermount3 -u) or sent SIGINT/SIGTERM, then exits 0. A mount owns its \
            cache directory. A mount that cannot start prints one line naming the fix and exits with: 2 no mountpoint, \
            13 credentials rejected (or /dev/fuse not open to this user), 16 the cache belongs to another mount, 17 \
            already mounted there, 19 no /dev/fuse, 20 not a directory, 39 mountpoint not empty (-o nonempty), 65 no \
            fusermount3, 69 API unreachable, 77 IP not whitelisted, 78 a setting (config file, variable, flag, secret \
            file, unknown -o) cannot be used (see man wxmediafs, EXIT STATUS). \
            Upstream calls are counted per API per China day (00:00 UTC+8) in <cache-dir>/quota.json and shown in \
            .wxmediafs/stats; with --max-calls-per-day N, once N are counted today, lookups of uncached ids fail with \
            EDQUOT without any call until the next day.

            --metrics-listen serves Prometheus metrics at /metrics while mounted; `wxmediafs status MOUNTPOINT` \
            summarises .wxmediafs/stats.

            --callback-listen serves WeChat's message push (point it there through a TLS reverse proxy): pushes signed \
            with the Token (from --callback-token-file or $WXMEDIAFS_CALLBACK_TOKEN; safe mode with an EncodingAESKey \
            from --callback-aes-key-file or $WXMEDIAFS_CALLBACK_AES_KEY) show their media in inbox/ at once.

            EXAMPLES:
              wxmediafs mount /mnt/wx --appid wx1234 --secret-file /etc/wxmediafs/secret
              wxmediafs mount /mnt/wx --metrics-listen 127.0.0.1:9464 --log-format json
              wxmediafs mount /mnt/wx --callback-listen 127.0.0.1:8081 --callback-token-file /etc/wxmediafs/push-token
            """
    )

    @Argument(help: "An existing, empty directory.")
    var mountpoint: String

    @OptionGroup var api: APIOptions

    @OptionGroup var mount: MountSettingsOptions

    func run() async throws {
        var apiBase = "the API"
        do {
            let settings = try api.settings(mount.add)
            apiBase = settings.apiBase
            let logger = LogSetup.logger("wxmediafs", level: settings.logLevel.rawValue, format: settings.logFormat, file: settings.logFile)
            try MountPreflight.check(mountpoint: mountpoint, options: MountPreflight.options(settings.mountOptions))
            let callback = try settings.callbackConfiguration()  // its secrets read, or exit 78, before anything starts
            // The cache is this mount's for its life, or the mount is refused (EBUSY) before any upstream call.
            let directory = settings.cacheDir
            let access = try await CacheOwnership.forMount(directory: directory, mountpoint: mountpoint)
            // Today's calls are counted in <cache-dir>/quota.json, and refused past max_calls_per_day (0: no limit).
            let quota = QuotaLedger(limit: settings.maxCallsPerDay, logger: logger)
            let client = try settings.client(logger: logger, quota: quota)
            // Fail now, with one line, on bad credentials rather than on the first read.
            _ = try await client.tokens.token()
            let shared = try await settings.sharedTier(blockSize: CacheBlock.size, logger: logger)
            let fs = try await makeFileSystem(client: client, cacheDirectory: directory, cacheSize: settings.cacheSize.bytes,
                                              negativeTTL: settings.negativeTTL, access: access, uploads: true,
                                              scanInBackground: true, shared: shared, logger: logger)
            let today = quota.snapshot()
            logger.info("\(today.total) upstream calls counted on \(today.day) (China time)\(quota.limit.map { ", max_calls_per_day = \($0)" } ?? "")")
            let runtime = MountRuntime(logger: logger)
            runtime.hold(access)
            // The fleet's follower messages (inbox/ the same on every host), every few seconds beside the mount.
            let messageShare = try settings.sharedClient().map { client in
                MessageShare(client: client, appID: settings.appid ?? "", logger: logger)
                    .run(every: Settings.Defaults.messageShareInterval, local: { fs.recordedMessages() }, record: { try fs.record($0) })
            }
            defer { messageShare?.cancel() }
            runtime.keepSyncing(fs.quota?.startSyncing())
            do {
                // Listening before mounting: an address in use fails the mount with one line, nothing mounted.
                runtime.add(try await settings.metricsListen.asyncMap { address in
                    try await MetricsServer.start(address, exporter: MetricsExporter(fs: fs, upstreamLatency: client.counters), logger: logger)
                })
                runtime.add(try await startCallback(settings.callbackListen, callback, fs: fs, logger: logger))
            } catch {
                await runtime.abort()
                throw error
            }
            try await runtime.serve(fs, mountpoint: mountpoint, options: settings.mountOptions)
        } catch {
            throw failMount(error, mountpoint: mountpoint, apiBase: apiBase)
        }
    }
}

/// The live callback, if configured: pushes with media are appended to the cache directory's messages file,
/// which the mount reads again when it changes (MessageRegistry), as it does after `ingest --cache-dir`.
private func startCallback(_ address: ListenAddress?, _ configuration: CallbackConfiguration?, fs: MediaFileSystem,
                           logger: Logger) async throws -> BackgroundServer? {
    guard let address, let configuration else { return nil }
    let handler = CallbackHandler(configuration: configuration) { messages in
        _ = try fs.record(messages)
    }
    return try await CallbackServer.start(address, handler: handler, logger: logger)
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
