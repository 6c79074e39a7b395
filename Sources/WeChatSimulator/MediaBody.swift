#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Where an item's bytes come from. Nothing big is ever held whole: files are read by range and generated
/// items are computed from (seed, offset).
enum MediaBody: Sendable {
    case memory([UInt8])
    case file(path: String, size: Int64)
    case generated(seed: UInt64, size: Int64)

    var size: Int64 {
        switch self {
        case .memory(let bytes): Int64(bytes.count)
        case .file(_, let size), .generated(_, let size): size
        }
    }

    /// Opens what reading needs (a file descriptor); reads then never block on anything but the page cache.
    func makeReader() throws -> MediaReader {
        switch self {
        case .memory(let bytes): .memory(bytes)
        case .file(let path, _): .file(try FileDescriptor(path: path))
        case .generated(let seed, _): .generated(seed: seed)
        }
    }

    /// The whole body, for byte-exact tests; slow for large generated items.
    func readAll() throws -> [UInt8] {
        let reader = try makeReader()
        var out: [UInt8] = []
        out.reserveCapacity(Int(size))
        var offset: Int64 = 0
        while offset < size {
            let count = Int(min(Int64(GeneratedBytes.chunkSize), size - offset))
            var buffer = try reader.read(at: offset, count: count)
            out += buffer.readBytes(length: buffer.readableBytes) ?? []
            offset += Int64(count)
        }
        return out
    }
}

/// An open body, read by (offset, count). Callers stay within the body's size.
enum MediaReader: Sendable {
    case memory([UInt8])
    case file(FileDescriptor)
    case generated(seed: UInt64)

    func read(at offset: Int64, count: Int) throws -> ByteBuffer {
        switch self {
        case .memory(let bytes):
            return ByteBuffer(bytes: bytes[Int(offset)..<Int(offset) + count])
        case .file(let descriptor):
            return try descriptor.read(at: offset, count: count)
        case .generated(let seed):
            return GeneratedBytes.read(seed: seed, at: offset, count: count)
        }
    }
}

/// A read-only file descriptor closed when the last reference goes; `pread` keeps it safe to share.
final class FileDescriptor: Sendable {
    struct OpenError: Error { let path: String; let errno: Int32 }
    struct ReadError: Error { let errno: Int32 }

    private let fd: Int32

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OpenError(path: path, errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    func read(at offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        var done = 0
        while done < count {
            var got = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { raw in
                got = pread(fd, raw.baseAddress, count - done, off_t(offset) + off_t(done))
                return max(got, 0)
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw ReadError(errno: got < 0 ? errno : 0) }
            done += got
        }
        return buffer
    }
}
