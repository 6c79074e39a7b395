import CFuse
import Foundation
import Logging
import MediaFS

/// A mounted session: mount, serve on libfuse's worker threads until unmounted or stopped, clean up.
public final class FuseSession: @unchecked Sendable {
    private let session: OpaquePointer
    private let context: Unmanaged<BridgeContext>
    public let mountpoint: String
    private let lock = NSLock()  // guards `unmounted`
    private var unmounted = false
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
    }

    /// Serves requests until the filesystem is unmounted or `stop` is called. Blocks the calling thread.
    public func run(threads: UInt32 = 16) -> Int32 {
        let result = cfuse_session_loop_mt(session, threads)
        unmount()
        fuse_session_destroy(session)
        context.release()
        return result
    }

    /// Ends the loop from any thread (a signal). A lazy unmount makes the kernel end the connection, so
    /// libfuse's workers wake up; the session's own fd is left to `run` to close (closing it under the
    /// workers' feet is not safe).
    public func stop() {
        fuse_session_exit(session)
        if getuid() == 0 {
            umount2(mountpoint, Int32(MNT_DETACH))
        } else {
            var pid = pid_t()
            let arguments = ["fusermount3", "-u", "-z", mountpoint]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            if posix_spawnp(&pid, "fusermount3", nil, nil, &argv, environ) == 0 {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
    }

    private func unmount() {
        let first = lock.withLock { () -> Bool in
            defer { unmounted = true }
            return !unmounted
        }
        if first { fuse_session_unmount(session) }
    }
}
