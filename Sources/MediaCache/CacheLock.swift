import Foundation
import Locking
import Synchronization

/// The rule for one cache directory used by several processes: an advisory `flock` on `<cache-dir>/lock`.
///
/// - Whoever holds the lock *owns* the cache: it cleans up at start and evicts. Everyone else is a *guest*: it
///   reads and writes blocks (every file is written by rename, so sharing is safe) but deletes nothing that
///   another process may be writing, and keeps no budget.
/// - A mount holds the lock for its life; a second mount on the same directory is refused (two owners would evict
///   each other's blocks with two budgets). `get` and `cache` take the lock only if it is free, else run as guests.
/// - The file says who holds it, one line `<pid> mount <mountpoint>` or `<pid> <command>`, so the refusal can
///   name the holder. The content is advisory; the lock itself is the truth (a `kill -9` releases it).
/// - The file is never deleted: unlinking a lock file that others have open would let two processes each lock a
///   different file under the same name. It is opened O_CLOEXEC, so a program we run does not inherit the lock.
public final class CacheLock: Sendable {
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public enum Role: Sendable, Equatable {
            case mount(String)
            case command(String)
        }

        public let pid: Int32
        public let role: Role

        public init(pid: Int32, role: Role) {
            self.pid = pid
            self.role = role
        }

        public var isMount: Bool { if case .mount = role { true } else { false } }

        public var description: String {
            switch role {
            case .mount(let mountpoint): "the mount on \(mountpoint) (pid \(pid))"
            case .command(let command): "`wxmediafs \(command)` (pid \(pid))"
            }
        }

        var line: String {
            switch role {
            case .mount(let mountpoint): "\(pid) mount \(mountpoint)\n"
            case .command(let command): "\(pid) \(command)\n"
            }
        }

        /// Parses the file's line; nil when it is empty (a holder that has not written yet) or not ours.
        init?(line: String) {
            let text = line.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            let parts = text.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0 else { return nil }
            let rest = String(parts[1])
            self.pid = pid
            role = rest.hasPrefix("mount ") ? .mount(String(rest.dropFirst(6))) : .command(rest)
        }
    }

    public enum Attempt: Sendable {
        case acquired(CacheLock)
        /// Someone else holds it; nil when it cannot be named (it has not written its line yet).
        case held(by: Holder?)
    }

    public let path: String
    public let holder: Holder
    private let descriptor: Mutex<Int32>

    private init(path: String, holder: Holder, descriptor: Int32) {
        self.path = path
        self.holder = holder
        self.descriptor = Mutex(descriptor)
    }

    /// Closing the descriptor releases the lock.
    deinit { release() }

    /// Lets the directory go now (a mount's last step, after its writes have drained); later calls do nothing.
    public func release() {
        descriptor.locked { descriptor in
            guard descriptor >= 0 else { return }
            _ = close(descriptor)
            descriptor = -1
        }
    }

    /// Tries once, without blocking, to take the lock of `directory` (created 0700 if missing) as `role`.
    public static func attempt(directory: String, as role: Holder.Role) async throws -> Attempt {
        try await DiskIO.run { try attemptNow(directory: directory, as: role) }
    }

    static func attemptNow(directory: String, as role: Holder.Role) throws -> Attempt {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory + "/lock"
        let descriptor = try syscall("open \(path)") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do {
            guard try lockWithoutBlocking(descriptor, path) else {
                let holder = readHolder(descriptor)
                _ = close(descriptor)
                return .held(by: holder)
            }
            let holder = Holder(pid: getpid(), role: role)
            let line = Array(holder.line.utf8)
            try syscall("truncate \(path)") { ftruncate(descriptor, 0) }
            let written = try syscall("write \(path)") { line.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } }
            guard written == line.count else { throw CacheIOError(errno: EIO, operation: "write \(path)") }
            return .acquired(CacheLock(path: path, holder: holder, descriptor: descriptor))
        } catch {
            _ = close(descriptor)
            throw error
        }
    }

    private static func lockWithoutBlocking(_ descriptor: Int32, _ path: String) throws -> Bool {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EWOULDBLOCK { return false }
            if code != EINTR { throw CacheIOError(errno: code, operation: "lock \(path)") }
        }
        return true
    }

    /// The holder's line, if it names a live process (a new holder may not have replaced its predecessor's yet).
    private static func readHolder(_ descriptor: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0, let holder = Holder(line: String(decoding: buffer[0..<count], as: UTF8.self)),
              ProcessLiveness.isAlive(holder.pid) else { return nil }
        return holder
    }
}
