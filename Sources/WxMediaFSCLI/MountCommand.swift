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
            cache directory: a second mount on it exits 16 (EBUSY).
            """
    )

    @Argument(help: "An existing, empty directory.")
    var mountpoint: String

    @OptionGroup var api: APIOptions

    @Option(help: "Cache directory (default: $XDG_CACHE_HOME/wxmediafs or ~/.cache/wxmediafs).")
    var cacheDir: String?

    @Option(help: "Cache budget, e.g. 2G, 512M.")
    var cacheSize: ByteSize = ByteSize(argument: "2G")!

    @Option(help: "Seconds an invalid media_id stays ENOENT without asking the server again.")
    var negativeTTL: Double = 60

    @Option(name: .short, help: ArgumentHelp("FUSE mount options, comma-separated (allow_other, auto_unmount, …).", valueName: "option,…"))
    var options: [String] = []

    func run() async throws {
        let logger = LogSetup.logger("wxmediafs", level: api.logLevel)
        do {
            try MountPreflight.check(mountpoint: mountpoint)
            // The cache is this mount's for its life, or the mount is refused (EBUSY) before any upstream call.
            let directory = cacheDir ?? defaultCacheDirectory()
            let access = try await CacheOwnership.forMount(directory: directory, mountpoint: mountpoint)
            let client = try api.client(logger: logger)
            // Fail now, with one line, on bad credentials rather than on the first read.
            _ = try await client.tokens.token()
            let fs = try makeFileSystem(client: client, cacheDirectory: directory, cacheSize: cacheSize.bytes, negativeTTL: negativeTTL,
                                        access: access, logger: logger)
            try await serve(fs, mountpoint: mountpoint, options: options, logger: logger)
        } catch {
            throw fail(error, context: "mount \(mountpoint)")
        }
    }
}
