import Foundation
import WeChatAPI

/// The file under MessageRegistry: `messages.jsonl`, appended by the mount's callback and by `ingest` in other
/// processes. Writers hold an exclusive `flock` on it; a compaction writes a new file and renames it over the
/// old one under that lock, and a writer that got the lock on a file since replaced opens the new one and tries
/// again, so no line is written into a file nobody reads. Mode 0600: it is the cache directory's.
struct MessageLog: Sendable {
    /// Which file a path named when it was read: a replaced file (a compaction) is read again from its start.
    struct FileIdentity: Equatable, Sendable {
        var device: UInt64 = 0
        var inode: UInt64 = 0
    }

    let path: String
    let largest: Int

    func identity() -> (FileIdentity, Int) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (FileIdentity(), 0) }
        return (FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int(info.st_size))
    }

    /// Whether the byte before `offset` is a newline (where a reader may resume).
    func endsLine(at offset: Int) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        return pread(descriptor, &byte, 1, off_t(offset - 1)) == 1 && byte == UInt8(ascii: "\n")
    }

    /// The complete lines between `start` and `end` (a line still being written is left for the next look),
    /// and how many bytes they took.
    func lines(from start: Int, to end: Int) -> (lines: [Data], consumed: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return ([], 0) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: end - start)
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, $0.count - filled, off_t(start + filled)) }
            if got <= 0 { break }
            filled += got
        }
        guard let last = bytes[..<filled].lastIndex(of: UInt8(ascii: "\n")) else { return ([], 0) }
        let lines = bytes[..<last].split(separator: UInt8(ascii: "\n")).map { Data($0) }
        return (lines, last + 1)
    }

    /// Appends `messages`, one line each, in one write. When the file would pass `largest`, it is first
    /// rewritten with what `compact` keeps of its messages; if that still leaves no room, nothing is written
    /// and the error says so.
    func append(_ messages: [FollowerMessage], compact: ([FollowerMessage]) -> [FollowerMessage]) throws {
        let added = try Self.encode(messages)
        for _ in 0..<8 {
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw failure("cannot open", errno) }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX) == 0 else { throw failure("cannot lock", errno) }
            var opened = stat(), named = stat()
            guard fstat(descriptor, &opened) == 0 else { throw failure("cannot stat", errno) }
            // Replaced while we waited for the lock: the new file is the one to write.
            guard stat(path, &named) == 0, named.st_ino == opened.st_ino, named.st_dev == opened.st_dev else { continue }
            // A line cut short by a crash mid-append is ended first, so the new ones start clean (the fragment is a
            // line that does not decode, skipped by every reader).
            let prefix: [UInt8] = opened.st_size > 0 && !endsLine(at: Int(opened.st_size)) ? [UInt8(ascii: "\n")] : []
            if Int(opened.st_size) + prefix.count + added.count <= largest {
                try write(prefix + added, to: descriptor)
                // Answered `success` only once on disk: WeChat will not push it again.
                guard fdatasync(descriptor) == 0 else { throw failure("cannot sync", errno) }
                return
            }
            let kept = compact(readAll(size: Int(opened.st_size)))
            let rewritten = try Self.encode(kept) + added
            guard rewritten.count <= largest else {
                throw FSError(.noSpace, "\(path) is full (\(largest >> 20) MiB of messages still within the media's life or cached): "
                    + "the message is not recorded")
            }
            return try replace(with: rewritten)
        }
        throw FSError(.io, "\(path) kept being replaced while appending")
    }

    private func readAll(size: Int) -> [FollowerMessage] {
        let decoder = JSONDecoder()
        return lines(from: 0, to: size).lines.compactMap { try? decoder.decode(FollowerMessage.self, from: $0) }.filter(\.isWellFormed)
    }

    private func write(_ bytes: [UInt8], to descriptor: Int32) throws {
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            // A short append (a full disk) leaves half a line: cut it off so the next line starts clean.
            let error = errno
            var info = stat()
            if written > 0, fstat(descriptor, &info) == 0 { _ = ftruncate(descriptor, info.st_size - off_t(written)) }
            throw failure("cannot append to", error)
        }
    }

    /// The file replaced by one holding `bytes`: written beside it, synced, renamed over it.
    private func replace(with bytes: [UInt8]) throws {
        let temporary = path + ".compact"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot write", errno) }
        do {
            try write(bytes, to: descriptor)
            guard fsync(descriptor) == 0 else { throw failure("cannot sync", errno) }
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot replace", error)
        }
    }

    private static func encode(_ messages: [FollowerMessage]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8] = []
        for message in messages { bytes += try encoder.encode(message) + [UInt8(ascii: "\n")] }
        return bytes
    }

    private func failure(_ what: String, _ error: Int32) -> FSError {
        FSError(error == ENOSPC ? .noSpace : .io, "\(what) \(path): \(String(cString: strerror(error)))")
    }
}
