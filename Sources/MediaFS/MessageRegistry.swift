import Locking
import Foundation
import Synchronization
import WeChatAPI

/// The follower messages recorded in `DIR/messages.jsonl` (one JSON message a line) by the live callback and by
/// `wxmediafs ingest --cache-dir DIR`. They give `media/` names known before any download and the `inbox/` tree.
///
/// - Read incrementally: only the lines appended since the last look are decoded; a file replaced (compacted)
///   or shrunk is read again from its start. A lookup after a push costs the new line, not the whole file.
/// - One line per message: a MsgId (or media id and CreateTime) already recorded is never appended again.
/// - Bounded, never silently: the file holds at most `largest` bytes. An append that would pass it compacts the
///   file first (duplicates and messages whose media can no longer be read dropped, atomically); if there is
///   still no room, the append fails, and the callback answers 500 so WeChat pushes again later.
/// - A line that does not decode, or holds a field the parser would refuse, is skipped.
public final class MessageRegistry: Sendable {
    static let fileName = "messages.jsonl"
    public static let largest = 64 << 20

    let log: MessageLog
    private let state = Mutex(State())
    private let clock: any APIClock
    /// Seconds WeChat keeps a message's media: older messages are dropped at compaction unless `isKept`.
    private let life: Double

    struct State {
        var file = MessageLog.FileIdentity()
        var offset = 0
        var messages: [FollowerMessage] = []
        var keys = Set<String>()
        /// Changes whenever `messages` does: what is derived from them is made again only then.
        var version = 0
    }

    public init(directory: String, clock: any APIClock = SystemClock(), life: Double = 3 * 86_400, largest: Int = MessageRegistry.largest) {
        log = MessageLog(path: directory + "/" + Self.fileName, largest: largest)
        self.clock = clock
        self.life = life
    }

    /// The recorded messages, one per MsgId (or media id when there is none), oldest first.
    var messages: [FollowerMessage] { current.messages }

    /// The messages and a version that changes when they do (the inbox tree is made again only then).
    var current: (stamp: String, messages: [FollowerMessage]) {
        state.locked { state in
            refresh(&state)
            return ("\(state.version)", state.messages)
        }
    }

    /// Records `messages` that are not recorded yet (by MsgId, else media id and CreateTime); returns how many
    /// were new. `isKept` says whether an old message is still worth its line when the file must be compacted.
    public func record(_ messages: [FollowerMessage], isKept: (FollowerMessage) -> Bool = { _ in false }) throws -> Int {
        try state.locked { state in
            refresh(&state)
            var fresh: [FollowerMessage] = []
            var keys = state.keys
            for message in messages where keys.insert(message.key).inserted { fresh.append(message) }
            guard !fresh.isEmpty else { return 0 }
            let now = clock.now()
            try log.append(fresh) { recorded in
                // Compaction: one line per message, and only those whose media can still be read.
                Self.unique(recorded).filter { now - Double($0.createTime) < life || isKept($0) }
            }
            refresh(&state)
            return fresh.count
        }
    }

    /// Appends what is not recorded yet, from another process than the mount (`ingest --cache-dir`): the same
    /// rules as `record`, the file locked against a mount's callback.
    public static func append(_ messages: [FollowerMessage], directory: String) throws -> Int {
        try MessageRegistry(directory: directory).record(messages) { _ in true }  // the cache is not ours to ask: keep
    }

    private func refresh(_ state: inout State) {
        let (identity, size) = log.identity()
        // The same file, and where the last look stopped is still a line's end (an inode number reused by another
        // compaction, or a file cut and grown again, would otherwise resume mid-line).
        let resumable = identity == state.file && size >= state.offset && (state.offset == 0 || size == state.offset || log.endsLine(at: state.offset))
        if !resumable {
            state = State(file: identity, offset: 0, messages: [], keys: [], version: state.version + 1)
        }
        guard size > state.offset else { return }
        let (lines, consumed) = log.lines(from: state.offset, to: size)
        state.offset += consumed
        let decoder = JSONDecoder()
        let latest = Int64(clock.now()) + FollowerMessageParser.clockSkew
        var changed = false
        for line in lines {
            guard let message = try? decoder.decode(FollowerMessage.self, from: line), message.isWellFormed,
                  message.createTime <= latest, state.keys.insert(message.key).inserted else { continue }
            state.messages.append(message)
            changed = true
        }
        if changed { state.version += 1 }
    }

    static func unique(_ messages: [FollowerMessage]) -> [FollowerMessage] {
        var keys = Set<String>()
        return messages.filter { keys.insert($0.key).inserted }
    }
}

extension FollowerMessage {
    /// What makes two lines the same message: WeChat's MsgId, else the media id and CreateTime.
    var key: String { msgID ?? "\(mediaID)/\(createTime)" }

    /// The extension its media will most likely have (WeChat's usual for each message type).
    var likelyExtension: String {
        switch msgType {
        case "voice": (format?.lowercased()).flatMap { ["amr", "speex", "mp3"].contains($0) ? $0 : nil } ?? "amr"
        case "video", "shortvideo": "mp4"
        default: "jpg"
        }
    }
}
