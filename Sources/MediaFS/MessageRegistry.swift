import Locking
import Foundation
import Synchronization
import WeChatAPI

/// The follower messages `wxmediafs ingest --cache-dir DIR` recorded in `DIR/messages.jsonl` (one JSON message a
/// line, appended), read again whenever the file changed. They give `media/` names known before any download and
/// the `inbox/` tree. A line that does not decode is skipped; a file over `largest` is read up to it.
public final class MessageRegistry: Sendable {
    static let fileName = "messages.jsonl"
    static let largest = 64 << 20

    private let path: String
    private let state = Mutex<(stamp: String, messages: [FollowerMessage])>(("", []))

    init(directory: String) { path = directory + "/" + Self.fileName }

    /// The recorded messages, one per MsgId (or media id when there is none), oldest first.
    var messages: [FollowerMessage] { current.messages }

    /// The messages and a stamp of the file they were read from (size and mtime): what is derived from them
    /// (the inbox tree) is made again only when the stamp changes.
    var current: (stamp: String, messages: [FollowerMessage]) {
        var info = stat()
        guard stat(path, &info) == 0 else { return ("", []) }
        let stamp = "\(info.st_size):\(info.st_mtim.tv_sec):\(info.st_mtim.tv_nsec)"
        if let cached = state.locked({ $0.stamp == stamp ? $0.messages : nil }) { return (stamp, cached) }
        let messages = Self.read(path)
        state.locked { $0 = (stamp, messages) }
        return (stamp, messages)
    }

    static func read(_ path: String) -> [FollowerMessage] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: largest)) ?? Data()
        let decoder = JSONDecoder()
        var seen = Set<String>()
        var messages: [FollowerMessage] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let message = try? decoder.decode(FollowerMessage.self, from: Data(line)) else { continue }
            guard seen.insert(message.msgID ?? "\(message.mediaID)/\(message.createTime)").inserted else { continue }
            messages.append(message)
        }
        return messages
    }

    /// Appends `messages` (what `ingest --cache-dir` does): one write each, O_APPEND, so concurrent writers and
    /// a reading mount never see half a line. The file is the cache directory's: mode 0600.
    public static func append(_ messages: [FollowerMessage], directory: String) throws {
        let descriptor = open(directory + "/" + fileName, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FSError(.io, "cannot open \(directory)/\(fileName): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for message in messages {
            let line = Array(try encoder.encode(message)) + [UInt8(ascii: "\n")]
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else { throw FSError(.io, "cannot append to \(directory)/\(fileName): \(String(cString: strerror(errno)))") }
        }
    }
}

extension FollowerMessage {
    /// The extension its media will most likely have (WeChat's usual for each message type).
    var likelyExtension: String {
        switch msgType {
        case "voice": (format?.lowercased()).flatMap { ["amr", "speex", "mp3"].contains($0) ? $0 : nil } ?? "amr"
        case "video", "shortvideo": "mp4"
        default: "jpg"
        }
    }
}
