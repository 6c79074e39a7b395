import Foundation
import FuseBridge
import Logging
import MediaCache
import MediaFS

/// Everything one mount runs, and the one order it stops in (`ShutdownSequence`): the FUSE session and its loop,
/// the metrics and callback servers beside it, the quota file's syncing, and the cache directory's lock. Events
/// (a signal, the loop's end, its deadline, the drain's end) go through the sequence; its steps run here.
final class MountRuntime: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var sequence = ShutdownSequence()
    private var servers: [BackgroundServer] = []
    private var syncing: Task<Void, Never>?
    private var cacheLock: CacheLock?
    private var session: FuseSession?
    private var serversClosing: Task<Void, Never>?
    private let loopEnd = Completion()
    private let signalled = SignalClock()
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func add(_ server: BackgroundServer?) {
        guard let server else { return }
        lock.withLock { servers.append(server) }
    }

    func keepSyncing(_ task: Task<Void, Never>?) { lock.withLock { syncing = task } }

    /// The cache directory's lock, let go as the last step (after the drain).
    func hold(_ access: CacheAccess) {
        if case .owner(let held) = access { lock.withLock { cacheLock = held } }
    }

    private func apply(_ event: (inout ShutdownSequence) -> [ShutdownSequence.Step]) -> [ShutdownSequence.Step] {
        lock.withLock { event(&sequence) }
    }

    /// Starting failed after some parts were up: they stop, in order.
    func abort() async { await run(apply { $0.failedToStart() }, fs: nil) }

    /// Mounts (the caller ran MountPreflight), prints the ready line, serves until the end, then stops in order.
    func serve(_ fs: MediaFileSystem, mountpoint: String, options: [String], whileMounted: (@Sendable () async -> Bool)? = nil) async throws {
        MallocTuning.keepBlockBuffers(blockSize: fs.blockSize)
        let session: FuseSession
        do {
            session = try FuseSession(fs: fs, mountpoint: mountpoint, options: MountPreflight.libfuseOptions(MountPreflight.options(options)), logger: logger)
        } catch {
            await abort()
            throw error
        }
        lock.withLock { self.session = session }
        let loopEnd = loopEnd
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
            for await number in signals {
                let steps = self.apply { $0.signal() }
                if steps == [.exitNow] {
                    self.logger.notice("second signal \(number): exiting now")
                    fflush(nil)
                    _exit(0)
                }
                self.logger.info("signal \(number): unmounting \(mountpoint)")
                SystemdNotify.send("STOPPING=1\nSTATUS=Unmounting \(mountpoint)")
                self.signalled.mark()
                Task { await self.run(steps, fs: fs) }  // the watcher stays free for a second signal
            }
        }
        if let whileMounted {
            Task {
                if await whileMounted() == false { await self.run(self.apply { $0.stopRequested() }, fs: fs) }
            }
        }
        let inTime = await loopEnd.value
        await run(apply { $0.loopEnded(inTime: inTime) }, fs: fs)
        await run(apply { $0.drained() }, fs: fs)
        logger.notice("unmounted \(mountpoint)")
        _ = watcher  // keeps watching: a second signal during the drain still exits at once
    }

    private func run(_ steps: [ShutdownSequence.Step], fs: MediaFileSystem?) async {
        for step in steps {
            switch step {
            case .stopSession:
                lock.withLock { session }?.stop()
            case .closeServers:
                await closeServers()
            case .armLoopDeadline:
                let loopEnd = loopEnd
                Task {
                    try? await Task.sleep(for: .seconds(ShutdownBudget.loop))
                    loopEnd.complete(false)
                }
            case .closeSession(let loopEnded):
                let abandoned = lock.withLock { session }?.close(loopEnded: loopEnded) ?? 0
                if abandoned > 0 { logger.info("\(abandoned) request(s) abandoned at shutdown") }
                if !loopEnded { logger.info("libfuse's workers did not stop in time; the process exit ends the connection") }
            case .drain:
                await closeServers()  // a signal's closing may still be under way: the servers go first
                if let fs { await drain(fs) }
            case .stopSyncing:
                lock.withLock { syncing }?.cancel()
            case .releaseCache:
                lock.withLock { cacheLock }?.release()
            case .exitNow:
                _exit(0)
            }
        }
    }

    /// Closes every server (every connection at once, then each listener); later calls wait for the same closing.
    private func closeServers() async {
        let closing: Task<Void, Never> = lock.withLock {
            if let serversClosing { return serversClosing }
            let servers = servers
            let task = Task {
                for server in servers { server.limits.closeAll() }
                await withTaskGroup(of: Void.self) { group in
                    for server in servers { group.addTask { await server.stop() } }
                }
            }
            serversClosing = task
            return task
        }
        await closing.value
    }

    /// The blocks still being written, within what the shutdown budget leaves.
    private func drain(_ fs: MediaFileSystem) async {
        let drained = Completion()
        Task {
            await fs.drain()
            drained.complete(true)
        }
        let budget = signalled.drainBudget
        Task {
            try? await Task.sleep(for: .seconds(budget))
            drained.complete(false)
        }
        if await drained.value == false { logger.warning("some blocks were still being written at exit; they will be fetched again") }
    }
}
