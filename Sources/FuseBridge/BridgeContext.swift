import Foundation
import Logging
import MediaFS

/// What the callbacks reach through `fuse_req_userdata`: the filesystem and the open directory listings.
final class BridgeContext: @unchecked Sendable {
    let fs: MediaFileSystem
    let logger: Logger
    private let lock = NSLock()  // guards `directories` and `nextDirectory`
    private var directories: [UInt64: [DirectoryEntry]] = [:]
    private var nextDirectory: UInt64 = 1
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

    /// Runs `work` as a Task and answers its error (as errno) if it throws.
    func serve(_ reply: FuseReply, _ work: @escaping @Sendable () async throws -> Void) {
        Task {
            do {
                try await work()
            } catch {
                let fsError = FSError(error)
                if fsError.errno != .noEntry { logger.info("request failed: \(fsError.message)") }
                reply.error(fsError.errno)
            }
        }
    }
}
