import CFuse
import Foundation
import Logging
import MediaFS

/// What the callbacks reach through `fuse_req_userdata`: the filesystem, the reply gate, the open directory
/// listings and the requests that can be interrupted.
final class BridgeContext: @unchecked Sendable {
    let fs: MediaFileSystem
    let logger: Logger
    let gate = ReplyGate()
    private let lock = NSLock()  // guards `directories`, `nextDirectory`, `interruptible`, `nextRequest`, `afterInit`
    private var directories: [UInt64: [DirectoryEntry]] = [:]
    private var nextDirectory: UInt64 = 1
    private var interruptible: [Int: FuseReply] = [:]
    private var nextRequest = 1
    /// Runs once, on the first request after FUSE_INIT (guarded by `lock`).
    private var afterInit: (@Sendable () -> Void)?

    init(fs: MediaFileSystem, logger: Logger, afterInit: (@Sendable () -> Void)? = nil) {
        self.fs = fs
        self.logger = logger
        self.afterInit = afterInit
    }

    /// Called by every request that can come first (getattr, lookup): the kernel has applied the INIT reply.
    func requestArrived() {
        guard let work = lock.withLock({ () -> (@Sendable () -> Void)? in
            defer { afterInit = nil }
            return afterInit
        }) else { return }
        work()
    }

    var negativeTimeout: Double { fs.configuration.negativeTTL }

    /// How long the kernel may keep an entry and its attributes: items never change (long), directories gain
    /// entries (1 s), the stats file changes all the time (0).
    func timeout(for attributes: FileAttributes) -> Double {
        if attributes.isDirectory { return 1 }
        return attributes.inode == Inode.stats ? 0 : fs.configuration.itemTimeout
    }

    func openDirectory(_ entries: [DirectoryEntry]) -> UInt64 {
        lock.withLock {
            let handle = nextDirectory
            nextDirectory += 1
            directories[handle] = entries
            return handle
        }
    }

    func directory(_ handle: UInt64) -> [DirectoryEntry]? { lock.withLock { directories[handle] } }
    func closeDirectory(_ handle: UInt64) { lock.withLock { _ = directories.removeValue(forKey: handle) } }

    /// Makes the reply of a request that may wait (lookup, read, open…), registered for FUSE_INTERRUPT.
    /// Must run in the C callback, before anything can answer the request (libfuse requires it).
    func reply(_ request: fuse_req_t) -> FuseReply {
        let key = lock.withLock { () -> Int in
            defer { nextRequest += 1 }
            return nextRequest
        }
        let reply = FuseReply(request, gate: gate, key: key)
        lock.withLock { interruptible[key] = reply }
        fuse_req_interrupt_func(request, { request, data in
            guard let request, let data else { return }
            bridgeContext(request).interrupted(Int(bitPattern: data))
        }, UnsafeMutableRawPointer(bitPattern: key))
        return reply
    }

    private func interrupted(_ key: Int) {
        logger.debug("request interrupted by the kernel")
        lock.withLock { interruptible.removeValue(forKey: key) }?.interrupt()
    }

    private func finished(_ reply: FuseReply) {
        _ = lock.withLock { interruptible.removeValue(forKey: reply.key) }
        reply.detach()
    }

    /// Runs `work` as a Task and answers its error (as errno) if it throws. The request's latency, from the
    /// C callback to the end of its work, is recorded under `operation`.
    func serve(_ operation: FSOperation, _ reply: FuseReply, _ work: @escaping @Sendable () async throws -> Void) {
        let start = ContinuousClock.now
        let task = Task {
            do {
                try await work()
            } catch {
                let fsError = FSError(error)
                if fsError.errno != .noEntry, !fsError.logged, !Task.isCancelled {
                    // What the user sees fail is a warning: one line per cause a minute, the rest counted.
                    let cause = "\(operation) \(fsError.errno.rawValue) \(fsError.cause.map { "\($0.category)" } ?? "local")"
                    self.fs.warnings.warn(cause: cause, "\(operation) failed with \(fsError.errno.symbol): \(fsError.message)")
                }
                reply.error(Task.isCancelled ? .interrupted : fsError.errno)  // interrupted: EINTR, whoever answers first
            }
            self.fs.latencies.record(operation, start.duration(to: .now))
            self.finished(reply)
        }
        reply.attach(task)
    }

    /// Runs `work` on `queue` (threads that may block on the disk) and answers there, or, when it declines
    /// (false), the ordinary way (`serve(otherwise)`). For reads of items the cache holds whole: one thread hop
    /// instead of three (to the pool, to a disk thread, back to the pool). `reply` was registered in the callback.
    func serveBlocking(_ operation: FSOperation, _ reply: FuseReply, on queue: DispatchQueue, _ work: @escaping @Sendable () -> Bool,
                       otherwise: @escaping @Sendable () async throws -> Void) {
        let start = ContinuousClock.now
        queue.async {
            guard work() else { return self.serve(operation, reply, otherwise) }
            self.fs.latencies.record(operation, start.duration(to: .now))
            self.finished(reply)
        }
    }

    /// Where reads of items the cache holds whole run (blocking disk reads; GCD adds threads while they wait).
    static let cachedReads = DispatchQueue(label: "wxmediafs.cached-reads", qos: .userInitiated, attributes: .concurrent)

    /// Runs a request answered in its callback (release, forget, readdir, statfs…), recording its latency.
    func timed(_ operation: FSOperation, _ body: () -> Void) {
        fs.latencies.time(operation, body)
    }
}
