import CFuse
import Foundation
import Logging
import MediaFS

/// A mounted session: mount, serve on libfuse's worker threads until unmounted or stopped, clean up.
public final class FuseSession: @unchecked Sendable {
    private let session: OpaquePointer
    private let context: Unmanaged<BridgeContext>
    public let mountpoint: String
    private let resolvedMountpoint: String
    private let lock = NSLock()  // guards `unmounted`, `stopping`, `destroyed`
    private var unmounted = false
    private var stopping = false
    private var destroyed = false
    private let logger: Logger

    /// Creates the session and mounts it. `options` are `-o` options (`allow_other`, `auto_unmount`, …).
    public init(fs: MediaFileSystem, mountpoint: String, options: [String], logger: Logger) throws {
        self.mountpoint = mountpoint
        self.logger = logger
        var arguments = ["wxmediafs"]
        for option in options { arguments += ["-o", option] }
        // argv must outlive fuse_session_new: allocate it rather than pass a Swift array's temporary pointer.
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
        for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
        argv[arguments.count] = nil
        defer {
            for index in 0..<arguments.count { free(argv[index]) }
            argv.deallocate()
        }
        var args = cfuse_args_init(Int32(arguments.count), argv)
        defer { fuse_opt_free_args(&args) }
        var ops = FuseOperations.table()
        // Resolved now: once mounted, any path lookup through the mountpoint would wait for this very process.
        let resolved = realpath(mountpoint, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? mountpoint
        resolvedMountpoint = resolved
        // The kernel applies the INIT reply's read-ahead, so the raise must come after it: on the first request.
        let raiseReadAhead: @Sendable () -> Void = {
            if !ReadAhead.raise(mountpoint: resolved, kilobytes: 1024) {
                logger.debug("read-ahead left at the kernel's default (not root?)")
            }
        }
        context = Unmanaged.passRetained(BridgeContext(fs: fs, logger: logger, afterInit: raiseReadAhead))
        guard let session = fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size, context.toOpaque()) else {
            context.release()
            throw FSError(.invalid, "libfuse refused the options \(options.joined(separator: ","))")
        }
        self.session = session
        guard fuse_session_mount(session, mountpoint) == 0 else {
            fuse_session_destroy(session)
            context.release()
            throw FSError(.io, "cannot mount on \(mountpoint) (see the message above)")
        }
        // Parallel lookups in a directory, which libfuse 3.14 never asks the kernel for (see cfuse.h).
        let installed = cfuse_session_parallel_dirops(session)
        if installed != 0 { logger.debug("parallel directory operations not enabled (custom I/O refused: \(installed))") }
    }

    /// Serves requests until the filesystem is unmounted or `stop` is called. Blocks the calling thread.
    /// The session stays alive after it returns: `close` ends it, once nothing can answer a request any more.
    ///
    /// One libfuse thread: no callback ever waits (what waits runs as a Task that answers from its own thread),
    /// so a second reader of /dev/fuse buys nothing, and it costs: with libfuse's multi-threaded loop every
    /// request woke another sleeping worker, often on the other core, and a lookup answered from memory took
    /// 95 µs instead of 13 µs (10,000 `stat`s after a remount: 10,500/s multi-threaded, see docs/benchmarks.md).
    /// `threads` > 1 is libfuse's multi-threaded loop with that many idle workers, kept for measuring
    /// (`WXMEDIAFS_FUSE_THREADS`, docs/benchmarks.md).
    public func run(threads: Int = 1) -> Int32 {
        threads > 1 ? cfuse_session_loop_mt(session, UInt32(threads)) : fuse_session_loop(session)
    }

    /// Ends the loop from any thread (a signal), whatever is open. The mount is detached (lazily: open files and
    /// a shell's cwd keep a detached mount alive, so that alone would not end anything), then the connection is
    /// aborted through fusectl: the kernel fails every pending request with ENOTCONN and libfuse's workers wake
    /// up. Where fusectl is out of reach (not root), exiting the process closes /dev/fuse, which aborts too.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            guard !stopping, !destroyed else { return false }
            fuse_session_exit(session)  // under the lock: `close` cannot destroy the session meanwhile
            return true
        }
        guard first else { return }
        let connection = FuseConnection.find(mountpoint: resolvedMountpoint)
        if getuid() == 0 {
            umount2(resolvedMountpoint, Int32(MNT_DETACH))
        } else {
            FuseConnection.fusermountDetach(resolvedMountpoint)
        }
        if let connection, !connection.abort() {
            logger.debug("cannot abort the FUSE connection through fusectl; it ends when the process exits")
        }
    }

    /// After the loop: refuses every later reply, waits for replies under way, and (if the loop has ended)
    /// destroys the session. Returns the number of requests left unanswered (abandoned).
    @discardableResult
    public func close(loopEnded: Bool) -> Int {
        let abandoned = context.takeUnretainedValue().gate.close()
        guard loopEnded else { return abandoned }  // libfuse's workers still run: leave the session to the exit
        let first = lock.withLock { () -> Bool in
            defer { destroyed = true }
            return !destroyed
        }
        guard first else { return abandoned }
        unmount()
        fuse_session_destroy(session)
        context.release()
        return abandoned
    }

    private func unmount() {
        let first = lock.withLock { () -> Bool in
            defer { unmounted = true }
            return !unmounted
        }
        if first { fuse_session_unmount(session) }
    }
}
