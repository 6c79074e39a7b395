import CFuse
import Foundation
import MediaFS

/// An owned `fuse_req_t`: every reply method answers once; a reply dropped unanswered answers EIO.
/// Every answer goes through the session's `ReplyGate`, so none reaches a session being destroyed.
/// An interrupted request (the reader got a signal) is answered EINTR at once and its work cancelled.
final class FuseReply: @unchecked Sendable {
    private let request: fuse_req_t
    private let gate: ReplyGate
    /// Names the request in the interrupt registry (`BridgeContext.reply`); 0 when not registered.
    let key: Int
    private let lock = NSLock()  // guards `answered` and `work`
    private var answered = false
    private var work: Task<Void, Never>?

    init(_ request: fuse_req_t, gate: ReplyGate, key: Int = 0) {
        self.request = request
        self.gate = gate
        self.key = key
        gate.opened()
    }

    deinit {
        if !answered { _ = gate.pass { fuse_reply_err(request, EIO) } }
    }

    /// Runs `reply` with the request if nobody answered yet (and the session still takes answers).
    /// Returns whether the answer went to the kernel (libfuse's send succeeded).
    @discardableResult
    private func once(_ reply: (fuse_req_t) -> Int32) -> Bool {
        let first = lock.withLock { () -> Bool in
            defer { answered = true }
            return !answered
        }
        guard first else { return false }
        var sent = false
        _ = gate.pass { sent = reply(request) == 0 }
        return sent
    }

    /// The Task doing the work, cancelled if the kernel interrupts the request.
    func attach(_ task: Task<Void, Never>) {
        let cancelNow = lock.withLock { () -> Bool in
            work = task
            return answered
        }
        if cancelNow { task.cancel() }
    }

    /// The work ended: forget its Task (the Task's closure holds this reply; keeping both would leak both).
    func detach() { lock.withLock { work = nil } }

    /// FUSE_INTERRUPT: answer EINTR now (the reader is waiting uninterruptibly for this answer) and stop the work.
    /// Called from libfuse's interrupt callback, which may hold the request's lock and free it on return if we
    /// answered there: the answer is sent from another thread.
    func interrupt() {
        lock.withLock { work }?.cancel()
        DispatchQueue.global().async { self.error(.interrupted) }
    }

    func error(_ errno: Errno) { once { fuse_reply_err($0, errno.rawValue) } }

    /// Returns whether the kernel got the entry (if not, the lookup it counts must be given back).
    @discardableResult
    func entry(_ attributes: FileAttributes, timeout: Double) -> Bool {
        var entry = fuse_entry_param()
        entry.ino = fuse_ino_t(attributes.inode)
        entry.generation = 1
        entry.attr = StatBuilder.stat(attributes)
        entry.attr_timeout = timeout
        entry.entry_timeout = timeout
        return once { fuse_reply_entry($0, &entry) }
    }

    /// A negative entry: the kernel remembers "no such name" for `timeout` seconds.
    func negativeEntry(timeout: Double) {
        var entry = fuse_entry_param()
        entry.ino = 0
        entry.entry_timeout = timeout
        once { fuse_reply_entry($0, &entry) }
    }

    func attributes(_ attributes: FileAttributes, timeout: Double) {
        var value = StatBuilder.stat(attributes)
        once { fuse_reply_attr($0, &value, timeout) }
    }

    /// Returns whether the kernel got the handle (if not, it will never release it: the caller must).
    @discardableResult
    func open(_ info: fuse_file_info, handle: UInt64, keepCache: Bool, directIO: Bool) -> Bool {
        var info = info
        cfuse_fi_set_fh(&info, handle)
        cfuse_fi_set_cache(&info, keepCache ? 1 : 0, directIO ? 1 : 0)
        // Read-only: nothing to flush, so the kernel sends no FLUSH request at each close (one round trip less
        // per `cat`; the floor, which has no flush operation, never gets one either).
        if cfuse_fi_flags(&info) & O_ACCMODE == O_RDONLY { cfuse_fi_set_noflush(&info) }
        return once { fuse_reply_open($0, &info) }
    }

    /// A file made by `create`, open with `handle`. Returns whether the kernel got it (if not, release it).
    @discardableResult
    func created(_ attributes: FileAttributes, info: fuse_file_info, handle: UInt64) -> Bool {
        var entry = fuse_entry_param()
        entry.ino = fuse_ino_t(attributes.inode)
        entry.generation = 1
        entry.attr = StatBuilder.stat(attributes)
        var info = info
        cfuse_fi_set_fh(&info, handle)
        cfuse_fi_set_cache(&info, 0, 0)
        return once { fuse_reply_create($0, &entry, &info) }
    }

    func written(_ count: Int) { once { fuse_reply_write($0, count) } }

    /// An extended attribute's value (or a name list): its size when asked with size 0, ERANGE when too small.
    func xattr(_ value: [UInt8], size: Int) {
        once { request in
            if size == 0 { return fuse_reply_xattr(request, value.count) }
            guard size >= value.count else { return fuse_reply_err(request, ERANGE) }
            return value.withUnsafeBytes { fuse_reply_buf(request, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        }
    }

    func bytes(_ bytes: [UInt8]) {
        once { request in
            bytes.withUnsafeBytes { fuse_reply_buf(request, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        }
    }

    func link(_ target: String) { once { fuse_reply_readlink($0, target) } }

    func statfs(_ value: statvfs) {
        var value = value
        once { fuse_reply_statfs($0, &value) }
    }

    /// Fills a readdir buffer of `size` bytes from `entries[offset...]`.
    func directory(_ entries: [DirectoryEntry], offset: Int, size: Int) {
        once { request in
            var buffer = [CChar](repeating: 0, count: size)
            var used = 0
            var index = max(0, offset)
            while index < entries.count {
                let entry = entries[index]
                var value = stat()
                value.st_ino = ino_t(entry.inode)
                value.st_mode = entry.isDirectory ? S_IFDIR : entry.isSymlink ? S_IFLNK : S_IFREG
                let needed = buffer.withUnsafeMutableBufferPointer { pointer in
                    fuse_add_direntry(request, pointer.baseAddress! + used, size - used, entry.name, &value, off_t(index + 1))
                }
                if needed > size - used { break }
                used += needed
                index += 1
            }
            return buffer.withUnsafeBytes { fuse_reply_buf(request, $0.baseAddress?.assumingMemoryBound(to: CChar.self), used) }
        }
    }
}

enum StatBuilder {
    static let uid = getuid()
    static let gid = getgid()

    static func stat(_ attributes: FileAttributes) -> Glibc.stat {
        var value = Glibc.stat()
        value.st_ino = ino_t(attributes.inode)
        value.st_mode = (attributes.isDirectory ? S_IFDIR : attributes.symlinkTarget != nil ? S_IFLNK : S_IFREG) | mode_t(attributes.permissions)
        value.st_nlink = attributes.isDirectory ? 2 : 1
        value.st_size = off_t(attributes.size)
        value.st_uid = uid
        value.st_gid = gid
        value.st_blksize = 1 << 20
        value.st_blocks = blkcnt_t((attributes.size + 511) / 512)
        let seconds = Int(attributes.modified)
        let time = timespec(tv_sec: seconds, tv_nsec: Int((attributes.modified - Double(seconds)) * 1e9))
        value.st_mtim = time
        value.st_ctim = time
        value.st_atim = time
        return value
    }
}
