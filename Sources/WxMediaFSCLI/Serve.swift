import Foundation
import FuseBridge
import Logging
import MediaCache
import MediaFS
import WeChatHTTP

/// Builds a filesystem over an API client and a cache directory.
/// `access`: what this process may do to a shared directory (CacheOwnership.swift); the demo's is its own.
/// A client with a `QuotaLedger` has it kept in `<cache-dir>/quota.json` (QuotaStore): read now, written by
/// `drain` (and periodically by whoever calls `startSyncing`).
/// `uploads`: the mount shows `upload/<type>/` (copying a file in uploads it).
/// `scanInBackground`: the cache directory is scanned beside the mount, which is ready at once (DiskDataCache).
/// `shared`: makes a second tier under the local one (the fleet's store, docs/fleet.md), given the local tier it
/// reads large items back from.
func makeFileSystem(client: MediaClient, cacheDirectory: String?, cacheSize: Int64, negativeTTL: Double, access: CacheAccess = .unshared,
                    uploads: Bool = false, scanInBackground: Bool = false, shared: ((any DataCache) -> any DataCache)? = nil, logger: Logger) async throws -> MediaFileSystem {
    let directory = cacheDirectory ?? defaultCacheDirectory()
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let disk = try DiskDataCache(directory: directory, budget: cacheSize, blockSize: CacheBlock.size, access: access, scanInBackground: scanInBackground,
                                 logger: logger)
    let tiers: any DataCache = shared.map { MultilevelDataCache(first: disk, second: $0(disk)) } ?? disk
    var config = FSConfiguration()
    config.negativeTTL = negativeTTL
    let counters = client.counters
    var store: QuotaStore?
    if let ledger = client.quota {
        store = QuotaStore(directory: directory, ledger: ledger, logger: logger)
        await store?.load()
    }
    return MediaFileSystem(downloader: client, cache: tiers, directory: disk.directory, mediaLife: disk.mediaLife, config: config, logger: logger, upstream: { counters.snapshot() }, quota: store,
                           uploader: uploads ? client : nil)
}

/// The block size of every tier (a store's objects carry one checksum per block of it).
enum CacheBlock {
    static let size = 1 << 20
}

func defaultCacheDirectory() -> String {
    let environment = ProcessInfo.processInfo.environment
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/wxmediafs" }
    return (environment["HOME"] ?? "/root") + "/.cache/wxmediafs"
}

/// How long a stop may take: after a signal everything ends within `total` (we promise 2 s; systemd's default
/// stop timeout is 90 s): the loop gets `loop`, the blocks still being written get what is left. After an
/// external unmount nobody is waiting, and the writes get `drainUnhurried`.
enum ShutdownBudget {
    static let total: Double = 1.5  // leaves 0.5 s of the promise for the exit itself on a loaded machine
    static let loop: Double = 0.9
    static let drainUnhurried: Double = 30
}

/// When the first signal came (nil: none), for the drain's share of the budget.
final class SignalClock: @unchecked Sendable {
    private let lock = NSLock()  // guards `first`
    private var first: Date?
    func mark() { lock.withLock { if first == nil { first = Date() } } }
    var drainBudget: Double {
        lock.withLock { first.map { max(0.2, ShutdownBudget.total - Date().timeIntervalSince($0)) } } ?? ShutdownBudget.drainUnhurried
    }
}

/// Mounts, prints the ready line, serves until unmounted or SIGINT/SIGTERM, and stops in `ShutdownSequence`'s
/// order; `whileMounted` runs once ready (returning false ends the mount). The demo's entry; a mount with
/// servers beside it builds its `MountRuntime` itself (MountCommand).
func serve(_ fs: MediaFileSystem, mountpoint: String, options: [String], logger: Logger,
           whileMounted: (@Sendable () async -> Bool)? = nil) async throws {
    try MountPreflight.check(mountpoint: mountpoint, options: MountPreflight.options(options))
    try await MountRuntime(logger: logger).serve(fs, mountpoint: mountpoint, options: options, whileMounted: whileMounted)
}

/// A value set once, awaited by anyone (later completions are ignored).
final class Completion: @unchecked Sendable {
    private let lock = NSLock()  // guards everything below
    private var result: Bool?
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    func complete(_ value: Bool) {
        let pending: [CheckedContinuation<Bool, Never>] = lock.withLock {
            guard result == nil else { return [] }
            result = value
            defer { waiters = [] }
            return waiters
        }
        for waiter in pending { waiter.resume(returning: value) }
    }

    var value: Bool {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Bool? = lock.withLock {
                    if let result { return result }
                    waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
