#if canImport(Glibc)
import Glibc
#endif

/// The file operations of the cache, each through `syscall` (EINTR retried, errno kept).
enum CacheFiles {
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 { return }
        let code = errno
        guard code == EEXIST else { throw CacheIOError(errno: code, operation: "mkdir \(path)") }
    }

    /// Writes the parts to a temporary file in the same folder, then renames it over `path`.
    static func writeAtomically(_ path: String, _ parts: [[UInt8]]) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try syscall("create \(temporary)") { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
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
            try syscall("close \(temporary)") { close(fd) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        do {
            try syscall("rename \(temporary)") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Reads a whole file (small files: meta, blocks).
    static func readAll(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw CacheIOError(errno: errno, operation: "open \(path)")
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try chunk.withUnsafeMutableBytes { raw throws in
                try syscall("read \(path)") { read(fd, raw.baseAddress!, raw.count) }
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// `count` bytes at `offset`, fewer if the file is shorter; nil if it is gone.
    static func readSlice(_ path: String, offset: Int, count: Int) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw CacheIOError(errno: errno, operation: "open \(path)")
        }
        defer { close(fd) }
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = try result.withUnsafeMutableBytes { raw throws in
                try syscall("read \(path)") { pread(fd, raw.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            }
            if got == 0 { break }
            filled += got
        }
        return filled == count ? result : Array(result[0..<filled])
    }

    /// The data of a block file if its header and checksum hold and it is block `index`; nil otherwise.
    static func readVerifiedBlock(_ path: String, index: Int) throws -> [UInt8]? {
        guard let bytes = try readAll(path) else { return nil }
        return bytes.withUnsafeBytes { raw -> [UInt8]? in
            guard let header = BlockFormat.parse(raw), header.index == index,
                  raw.count == BlockFormat.headerSize + header.length else { return nil }
            let data = UnsafeRawBufferPointer(rebasing: raw[BlockFormat.headerSize...])
            guard CRC32C.checksum(data) == header.dataCRC else { return nil }
            return Array(data)
        }
    }
}
