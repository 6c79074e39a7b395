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
    private static func openForReading(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { return fd }
        if errno == ENOENT { return nil }
        throw CacheIOError(errno: errno, operation: "open \(path)")
    }

    /// Reads a whole file (small files: meta, blocks); nil if it is gone. Sized by `fstat`, read straight into
    /// the result (the scan at start reads one meta per item: no 1 MiB zero-filled buffer for each), then read on
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

    /// `count` bytes at `offset`, fewer if the file is shorter; nil if it is gone. Read straight into the
    /// returned array (no zero fill, no second copy).
    static func readSlice(_ path: String, offset: Int, count: Int) throws -> [UInt8]? {
        guard let fd = try openForReading(path) else { return nil }
        defer { close(fd) }
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try readFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset, path)
        }
    }

    /// Fills `buffer` from `offset` with `pread` until it is full or the file ends; the bytes read.
    private static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, _ path: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = try syscall("read \(path)") { pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled)) }
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    enum BlockContent {
        case data([UInt8], checksum: UInt32)
        case absent
        case corrupt
        /// A block written in another format version (an older release's): dropped and fetched again.
        case otherFormat
    }

    /// A block file's data if its header and checksum hold, it is block `index` of the item `identity` names,
    /// exactly `length` bytes long when the item's size says how long it must be, and the file ends with its data.
    /// The header is read first, so the data is read once, straight into the returned array, and checked there.
    static func readVerifiedBlock(_ path: String, index: Int, identity: UInt32, length expected: Int?) throws -> BlockContent {
        guard let fd = try openForReading(path) else { return .absent }
        defer { close(fd) }
        var status = stat()
        _ = try syscall("stat \(path)") { fstat(fd, &status) }
        var headerBytes = [UInt8](repeating: 0, count: BlockFormat.headerSize)
        let got = try headerBytes.withUnsafeMutableBytes { try readFully(fd, into: $0, at: 0, path) }
        let version = headerBytes.withUnsafeBytes { BlockFormat.claimedVersion($0) }
        if got == BlockFormat.headerSize, version != 0, version != BlockFormat.version { return .otherFormat }
        guard got == BlockFormat.headerSize, let header = headerBytes.withUnsafeBytes({ BlockFormat.parse($0) }),
              header.index == index, header.identity == identity, expected.map({ $0 == header.length }) ?? true,
              Int(status.st_size) == BlockFormat.headerSize + header.length
        else { return .corrupt }
        let data = try [UInt8](unsafeUninitializedCapacity: header.length) { buffer, initialized in
            initialized = try readFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: BlockFormat.headerSize, path)
        }
        guard data.count == header.length,
              data.withUnsafeBytes({ CRC32C.checksum($0) }) == header.dataCRC else { return .corrupt }
        return .data(data, checksum: header.dataCRC)
    }
}
