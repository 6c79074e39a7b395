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

    init(fs: MediaFileSystem, logger: Logger) {
        self.fs = fs
        self.logger = logger
    }

    var itemTimeout: Double { fs.configuration.itemTimeout }
    var negativeTimeout: Double { fs.configuration.negativeTTL }

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
