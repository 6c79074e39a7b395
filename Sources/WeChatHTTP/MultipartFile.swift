import Foundation
import NIOCore

/// A multipart/form-data body with one file part named `media`, read from disk in chunks (never whole in memory).
struct MultipartFile: Sendable {
    let path: String
    let boundary: String
    let preamble: [UInt8]
    let epilogue: [UInt8]
    let size: Int64

    static let chunkSize = 256 * 1024

    init(path: String, filename: String, contentType: String, size: Int64) {
        self.path = path
        self.size = size
        boundary = "wxmediafs-" + String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let safeName = filename.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "_").replacingOccurrences(of: "\n", with: "_")
        preamble = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"media\"; filename=\"\(safeName)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        epilogue = Array("\r\n--\(boundary)--\r\n".utf8)
    }

    var length: Int64 { Int64(preamble.count) + size + Int64(epilogue.count) }

    /// The body, for `HTTPClientRequest.Body.stream`; `probe` learns when the client first asks for a byte.
    /// `progress`: told (bytes of the file sent, its size) after each chunk.
    func chunks(chunkSize: Int = MultipartFile.chunkSize, probe: BodyStartProbe? = nil,
                progress: (@Sendable (Int64, Int64) -> Void)? = nil) -> MultipartChunks {
        MultipartChunks(file: self, chunkSize: chunkSize, probe: probe, progress: progress)
    }
}

/// The body as a pull-driven sequence: each `next()` reads one chunk from the file, when the HTTP client asks.
///
/// AsyncHTTPClient asks for the next chunk only once the channel is writable, so the memory in flight is one
/// chunk plus the socket's buffers, whatever the file size. (A producer task feeding an unbounded
/// `AsyncThrowingStream` would instead read the whole file into memory as fast as the disk allows.)
/// The read is a plain blocking `read(2)` of at most one chunk, from the page cache most of the time: short
/// enough for a cooperative thread, and no thread pool is needed.
struct MultipartChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: MultipartFile
    let chunkSize: Int
    let probe: BodyStartProbe?
    let progress: (@Sendable (Int64, Int64) -> Void)?

    func makeAsyncIterator() -> Iterator { Iterator(file: file, chunkSize: chunkSize, probe: probe, progress: progress) }

    struct Iterator: AsyncIteratorProtocol {
        private enum Step { case preamble, content, epilogue, finished }

        private let file: MultipartFile
        private let chunkSize: Int
        private let probe: BodyStartProbe?
        private let progress: (@Sendable (Int64, Int64) -> Void)?
        private var step = Step.preamble
        private var reader: FileReader?
        private var sent: Int64 = 0

        init(file: MultipartFile, chunkSize: Int, probe: BodyStartProbe?, progress: (@Sendable (Int64, Int64) -> Void)?) {
            self.file = file
            self.chunkSize = Swift.max(1, chunkSize)
            self.probe = probe
            self.progress = progress
        }

        mutating func next() async throws -> ByteBuffer? {
            probe?.markStarted()
            switch step {
            case .preamble:
                step = file.size > 0 ? .content : .epilogue
                return ByteBuffer(bytes: file.preamble)
            case .content:
                try Task.checkCancellation()
                if reader == nil { reader = try FileReader(path: file.path) }
                let wanted = Int(Swift.min(Int64(chunkSize), file.size - sent))
                let data = try reader!.read(upTo: wanted)
                if data.isEmpty { throw WeChatError(.local, "\(file.path) shrank while being uploaded") }
                sent += Int64(data.count)
                progress?(sent, file.size)
                if sent >= file.size {
                    step = .epilogue
                    reader = nil  // closes the file as soon as its last byte is read
                }
                return ByteBuffer(bytes: data)
            case .epilogue:
                step = .finished
                return ByteBuffer(bytes: file.epilogue)
            case .finished:
                return nil
            }
        }
    }
}

/// An open file that closes itself when the iterator owning it goes (finished, failed or abandoned).
private final class FileReader {
    private let handle: FileHandle

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw WeChatError(.local, "cannot open \(path)") }
        self.handle = handle
    }

    func read(upTo count: Int) throws -> Data {
        do {
            return try handle.read(upToCount: count) ?? Data()
        } catch {
            throw WeChatError(.local, "cannot read the file being uploaded: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }
}
