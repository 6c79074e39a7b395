import Foundation
import FuseBridge
import Logging
import MediaCache
import MediaFS
import WeChatAPI

/// Builds a filesystem over an API client and a cache directory.
/// `access`: what this process may do to a shared directory (CacheOwnership.swift); the demo's is its own.
/// A client with a `QuotaLedger` has it kept in `<cache-dir>/quota.json` (QuotaStore): read now, written by
/// `drain` (and periodically by whoever calls `startSyncing`).
/// `uploads`: the mount shows `upload/<type>/` (copying a file in uploads it).
func makeFileSystem(client: MediaClient, cacheDirectory: String?, cacheSize: Int64, negativeTTL: Double, access: CacheAccess = .unshared,
                    uploads: Bool = false, logger: Logger) async throws -> MediaFileSystem {
    let directory = cacheDirectory ?? defaultCacheDirectory()
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let cache = try BlockCache(directory: directory, budget: cacheSize, access: access, logger: logger)
    var config = FSConfiguration()
    config.negativeTTL = negativeTTL
    let counters = client.counters
    var store: QuotaStore?
    if let ledger = client.quota {
        store = QuotaStore(directory: directory, ledger: ledger, logger: logger)
        await store?.load()
    }
    return MediaFileSystem(downloader: client, cache: cache, config: config, logger: logger, upstream: { counters.snapshot() }, quota: store,
                           uploader: uploads ? client : nil)
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

/// Mounts, prints the ready line, serves until unmounted or SIGINT/SIGTERM; `whileMounted` runs once ready.
///
/// Shutdown order (docs/design.md): signal → `stop` (exit flag, lazy unmount, connection abort) → the loop ends
/// (or `ShutdownBudget.loop` passes) → the reply gate closes (no reply after this; requests still unanswered are
/// abandoned) → the session is destroyed if the loop ended → pending block writes drain (bounded) → exit 0.
/// A second signal exits at once.
/// `preflighted`: the caller ran MountPreflight already (the mount command does, before any upstream call).
/// `stopping`: called once the mount is ending (a signal, or the loop ended by an external unmount), before the
/// drain: the servers beside the mount close first (MountRuntime).
func serve(_ fs: MediaFileSystem, mountpoint: String, options: [String], logger: Logger, preflighted: Bool = false,
           stopping: (@Sendable () async -> Void)? = nil,
           whileMounted: (@Sendable () async -> Bool)? = nil) async throws {
    if !preflighted { try MountPreflight.check(mountpoint: mountpoint, options: MountPreflight.options(options)) }
    MallocTuning.keepBlockBuffers(blockSize: fs.blockSize)
    let session = try FuseSession(fs: fs, mountpoint: mountpoint, options: MountPreflight.libfuseOptions(MountPreflight.options(options)), logger: logger)
    let loopEnd = Completion()
    let signalled = SignalClock()
    let thread = Thread {
        // One libfuse thread unless WXMEDIAFS_FUSE_THREADS asks for the multi-threaded loop (for measuring only).
        _ = session.run(threads: ProcessInfo.processInfo.environment["WXMEDIAFS_FUSE_THREADS"].flatMap { Int($0) } ?? 1)
        loopEnd.complete(true)
    }
    thread.stackSize = 1 << 20
    thread.start()
    let signals = Signals.stream([SIGINT, SIGTERM])  // watched before the ready line: no signal is lost after it
    print("\(Daemon.readyPrefix)\(mountpoint)")
    fflush(nil)
    SystemdNotify.send("READY=1\nSTATUS=Mounted on \(mountpoint)")
    Daemon.detached()
    let watcher = Task {
        var count = 0
        for await number in signals {
            count += 1
            if count > 1 {
                logger.notice("second signal \(number): exiting now")
                fflush(nil)
                _exit(0)
            }
            logger.info("signal \(number): unmounting \(mountpoint)")
            SystemdNotify.send("STOPPING=1\nSTATUS=Unmounting \(mountpoint)")
            signalled.mark()
            session.stop()
            if let stopping { Task { await stopping() } }
            Task {
                try? await Task.sleep(for: .seconds(ShutdownBudget.loop))
                loopEnd.complete(false)
            }
        }
    }
    if let whileMounted {
        Task {
            if await whileMounted() == false { session.stop() }
        }
    }
    let loopEnded = await loopEnd.value
    await stopping?()  // the servers beside the mount first, whatever their connections are doing
    let abandoned = session.close(loopEnded: loopEnded)
    if abandoned > 0 { logger.info("\(abandoned) request(s) abandoned at shutdown") }
    if !loopEnded { logger.info("libfuse's workers did not stop in time; the process exit ends the connection") }
    let drained = Completion()
    Task {
        await fs.drain()
        drained.complete(true)
    }
    let drainBudget = signalled.drainBudget
    Task {
        try? await Task.sleep(for: .seconds(drainBudget))
        drained.complete(false)
    }
    if await drained.value == false { logger.warning("some blocks were still being written at exit; they will be fetched again") }
    logger.notice("unmounted \(mountpoint)")
    _ = watcher  // keeps watching: a second signal during the drain still exits at once
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
