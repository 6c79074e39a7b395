import Foundation
import FuseBridge
import Logging
import MediaCache
import MediaFS
import WeChatAPI

/// Builds a filesystem over an API client and a cache directory.
func makeFileSystem(client: MediaClient, cacheDirectory: String?, cacheSize: Int64, negativeTTL: Double, logger: Logger) throws -> MediaFileSystem {
    let directory = cacheDirectory ?? defaultCacheDirectory()
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let cache = try BlockCache(directory: directory, budget: cacheSize, logger: logger)
    var config = FSConfiguration()
    config.negativeTTL = negativeTTL
    let counters = client.counters
    return MediaFileSystem(downloader: client, cache: cache, config: config, logger: logger, upstream: { counters.snapshot() })
}

func defaultCacheDirectory() -> String {
    let environment = ProcessInfo.processInfo.environment
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/wxmediafs" }
    return (environment["HOME"] ?? "/root") + "/.cache/wxmediafs"
}

/// Mounts, prints the ready line, serves until unmounted or SIGINT/SIGTERM; `whileMounted` runs once ready.
func serve(_ fs: MediaFileSystem, mountpoint: String, options: [String], logger: Logger,
           whileMounted: (@Sendable () async -> Bool)? = nil) async throws {
    try MountPreflight.check(mountpoint: mountpoint)
    let session = try FuseSession(fs: fs, mountpoint: mountpoint, options: MountPreflight.options(options), logger: logger)
    let ended = AsyncStream<Int32> { continuation in
        let thread = Thread {
            continuation.yield(session.run())
            continuation.finish()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    print("wxmediafs: mounted on \(mountpoint)")
    fflush(nil)
    let watcher = Task {
        await Signals.wait(for: [SIGINT, SIGTERM])
        session.stop()
    }
    if let whileMounted {
        Task {
            if await whileMounted() == false { session.stop() }
        }
    }
    for await _ in ended { break }
    watcher.cancel()
    await fs.drain()
}
