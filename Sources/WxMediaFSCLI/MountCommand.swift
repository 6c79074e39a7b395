import ArgumentParser
import Foundation
import MediaFS
import WeChatAPI

struct MountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount temporary media as files: media/<id>.<ext>, hd/<id>.speex, .wxmediafs/stats.",
        discussion: """
            Stays in the foreground until unmounted (fusermount3 -u) or sent SIGINT/SIGTERM, then exits 0. A mount owns its \
            cache directory: a second mount on it exits 16 (EBUSY). A bad config file or WXMEDIAFS_* variable exits 78.

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
        do {
            let settings = try api.settings(mount.add)
            let logger = LogSetup.logger("wxmediafs", level: settings.logLevel.rawValue, format: settings.logFormat)
            try MountPreflight.check(mountpoint: mountpoint)
            // The cache is this mount's for its life, or the mount is refused (EBUSY) before any upstream call.
            let directory = settings.cacheDir
            let access = try await CacheOwnership.forMount(directory: directory, mountpoint: mountpoint)
            let client = try settings.client(logger: logger)
            // Fail now, with one line, on bad credentials rather than on the first read.
            _ = try await client.tokens.token()
            let fs = try makeFileSystem(client: client, cacheDirectory: directory, cacheSize: settings.cacheSize.bytes,
                                        negativeTTL: settings.negativeTTL, access: access, logger: logger)
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
            throw fail(error, context: "mount \(mountpoint)")
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
