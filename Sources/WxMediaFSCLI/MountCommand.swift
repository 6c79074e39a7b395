import ArgumentParser
import Foundation
import MediaFS
import WeChatAPI

struct MountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount temporary media as files: media/<id>.<ext>, hd/<id>.speex and .wav, .wxmediafs/stats.",
        discussion: """
            Stays in the foreground until unmounted (fusermount3 -u) or sent SIGINT/SIGTERM, then exits 0. A mount owns its \
            cache directory: a second mount on it exits 16 (EBUSY). A bad config file or WXMEDIAFS_* variable exits 78. \
            Upstream calls are counted per API per China day (00:00 UTC+8) in <cache-dir>/quota.json and shown in \
            .wxmediafs/stats; with --max-calls-per-day N, once N are counted today, lookups of uncached ids fail with \
            EDQUOT without any call until the next day.

            --metrics-listen serves Prometheus metrics at /metrics while mounted; `wxmediafs status MOUNTPOINT` \
            summarises .wxmediafs/stats.

            EXAMPLES:
              wxmediafs mount /mnt/wx --appid wx1234 --secret-file /etc/wxmediafs/secret
              wxmediafs mount /mnt/wx --metrics-listen 127.0.0.1:9464 --log-format json
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
            // The cache is this mount's for its life, or the mount is refused (EBUSY) before any upstream call.
            let directory = settings.cacheDir
            let access = try await CacheOwnership.forMount(directory: directory, mountpoint: mountpoint)
            // Today's calls are counted in <cache-dir>/quota.json, and refused past max_calls_per_day (0: no limit).
            let quota = QuotaLedger(limit: settings.maxCallsPerDay, logger: logger)
            let client = try settings.client(logger: logger, quota: quota)
            // Fail now, with one line, on bad credentials rather than on the first read.
            _ = try await client.tokens.token()
            let fs = try await makeFileSystem(client: client, cacheDirectory: directory, cacheSize: settings.cacheSize.bytes,
                                              negativeTTL: settings.negativeTTL, access: access, uploads: true, logger: logger)
            let today = quota.snapshot()
            logger.info("\(today.total) upstream calls counted on \(today.day) (China time)\(quota.limit.map { ", max_calls_per_day = \($0)" } ?? "")")
            let syncing = fs.quota?.startSyncing()
            defer { syncing?.cancel() }
            // Listening before mounting: an address in use fails the mount with one line, nothing mounted.
            let metrics = try await settings.metricsListen.asyncMap { address in
                try await MetricsServer.start(address, exporter: MetricsExporter(fs: fs), logger: logger)
            }
            do {
                try await serve(fs, mountpoint: mountpoint, options: settings.mountOptions, logger: logger)
            } catch {
                await metrics?.stop()
                throw error
            }
            await metrics?.stop()
        } catch {
            throw failMount(error, mountpoint: mountpoint, apiBase: apiBase)
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
