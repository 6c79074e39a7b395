#if canImport(Glibc)
import Glibc
#endif

/// The file operations of the cache, each through `syscall` (EINTR retried, errno kept), except `close`.
enum CacheFiles {
    /// Creates a folder (0700); an existing one is fine, an existing file or link of that name is ENOTDIR.
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 { return }
        let code = errno
        guard code == EEXIST else { throw CacheIOError(errno: code, operation: "mkdir \(path)") }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CacheIOError(errno: ENOTDIR, operation: "mkdir \(path) (exists, not a folder)")
        }
    }

    /// Writes the parts to a temporary file in the same folder, then renames it over `path`. `closer` is `close`
    /// (a parameter so a test can make it fail).
    static func writeAtomically(_ path: String, _ parts: [[UInt8]], closer: (Int32) -> Int32 = { close($0) }) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try syscall("create \(temporary)") { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        var failure: (any Error)?
        do {
            for part in parts {
                var written = 0
                while written < part.count {
                    let count = try part.withUnsafeBytes { raw throws in
                        try syscall("write \(temporary)") { write(fd, raw.baseAddress! + written, raw.count - written) }
                    }
                    written += count
                }
            }
        } catch {
            failure = error
        }
        do {
            try closeOnce(fd, "close \(temporary)", closer: closer)
        } catch {
            failure = failure ?? error
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        do {
            try syscall("rename \(temporary)") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Closes `fd` exactly once. Linux releases the descriptor even when `close` fails (EINTR included), so a
    /// retry could close a descriptor another thread was just given. A failure is reported (the data may not all
    /// have reached the file: the caller discards it), never retried.
    static func closeOnce(_ fd: Int32, _ what: @autoclosure () -> String, closer: (Int32) -> Int32 = { close($0) }) throws {
        guard closer(fd) != 0 else { return }
        let code = errno
        throw CacheIOError(errno: code, operation: what())
    }

    /// A descriptor for reading `path`, nil if it is gone; other failures throw.
    static func openForReading(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { return fd }
        if errno == ENOENT { return nil }
        throw CacheIOError(errno: errno, operation: "open \(path)")
    }

    /// Reads a whole file (small files); nil if it is gone. Sized by `fstat`, read straight into
    /// the result (no zero-filled buffer), then read on
    /// in case the file grew meanwhile.
    static func readAll(_ path: String) throws -> [UInt8]? {
        guard let fd = try openForReading(path) else { return nil }
        defer { close(fd) }
        var status = stat()
        _ = try syscall("stat \(path)") { fstat(fd, &status) }
        let expected = max(0, Int(status.st_size))
        var result = try [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
            initialized = try readFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: 0, path)
        }
        guard result.count == expected else { return result }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try chunk.withUnsafeMutableBytes { raw throws in
                try syscall("read \(path)") { pread(fd, raw.baseAddress!, raw.count, off_t(result.count)) }
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// Fills `buffer` from `offset` with `pread` until it is full or the file ends; the bytes read.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, _ path: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = try syscall("read \(path)") { pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled)) }
            if got == 0 { break }
            filled += got
        }
        return filled
    }
}
