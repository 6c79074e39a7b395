import Foundation
import MediaCache
import Scratch
import Testing
import WeChatAPI
@testable import MediaFS

/// Issue 18, points 1 and 5: `messages.jsonl` is read incrementally, holds one line per message, is compacted
/// rather than capped, refuses what it cannot hold (so the push is answered 500, not `success`), and never lets a
/// hostile line crash a listing.
@Suite struct MessageRegistryTests {
    let clock = ManualClock(now: 1_786_000_000)

    func message(_ msgID: Int, age: Double = 10, padding: Int = 0) -> FollowerMessage {
        FollowerMessage(msgType: "image", mediaID: MediaID("Media_\(msgID)")!, fromUser: "oSender", toUser: nil,
                        createTime: Int64(clock.now() - age), msgID: "\(msgID)", format: nil,
                        recognition: padding > 0 ? String(repeating: "r", count: padding) : nil, picURL: nil, thumbMediaID: nil)
    }

    func lines(_ directory: String) -> [Substring] {
        (try? String(contentsOfFile: directory + "/messages.jsonl", encoding: .utf8))?.split(separator: "\n") ?? []
    }

    @Test func onlyNewLinesAreReadAfterTheFirstLook() throws {
        let directory = Scratch.directory("registry-incremental")
        let registry = MessageRegistry(directory: directory, clock: clock)
        #expect(try registry.record([message(1)]) == 1)
        #expect(registry.messages.map(\.msgID) == ["1"])
        // The first line scrambled in place (same size, same file) and a line appended by another writer: a
        // whole re-read would lose message 1; the incremental read only decodes the new line.
        let path = directory + "/messages.jsonl"
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes.replaceSubrange(0..<bytes.count - 1, with: Data(repeating: UInt8(ascii: "x"), count: bytes.count - 1))
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try MessageRegistry(directory: directory, clock: clock).record([message(2)]) == 1)
        #expect(registry.messages.map(\.msgID) == ["1", "2"])
    }

    /// A crash mid-append leaves half a line: the next message is not glued to it (and lost to every reader).
    @Test func aLineCutShortByACrashDoesNotSwallowTheNext() throws {
        let directory = Scratch.directory("registry-cut")
        let good = try String(decoding: JSONEncoder().encode(message(1)), as: UTF8.self)
        try (good + "\n" + "{\"createTime\":17860").write(toFile: directory + "/messages.jsonl", atomically: true, encoding: .utf8)
        #expect(try MessageRegistry(directory: directory, clock: clock).record([message(2)]) == 1)
        #expect(MessageRegistry(directory: directory, clock: clock).messages.compactMap(\.msgID) == ["1", "2"])
    }

    @Test func aMessageAlreadyRecordedAddsNoLine() throws {
        let directory = Scratch.directory("registry-duplicates")
        let registry = MessageRegistry(directory: directory, clock: clock)
        #expect(try registry.record([message(1), message(2)]) == 2)
        #expect(try registry.record([message(2), message(1)]) == 0)
        #expect(try MessageRegistry.append([message(1), message(3)], directory: directory) == 1, "ingest in another process")
        #expect(lines(directory).count == 3)
    }

    @Test func aFullFileIsCompactedAndWhatCannotBeHeldIsRefused() throws {
        let directory = Scratch.directory("registry-full")
        let registry = MessageRegistry(directory: directory, clock: clock, life: 3 * 86_400, largest: 4_000)
        // Four days old: past the media's life, dropped at compaction (nothing is cached).
        for id in 0..<12 { #expect(try registry.record([message(1_000 + id, age: 4 * 86_400, padding: 150)]) == 1) }
        #expect(lines(directory).count == 12)
        // Messages still in their life until the file cannot hold another: the old ones make room first, then
        // the one that does not fit is refused (the push is answered 500), never dropped silently.
        var fresh: [String] = []
        var refusal: (any Error)?
        for id in 1..<100 {
            do {
                if try registry.record([message(id, padding: 150)]) == 1 { fresh.append("\(id)") }
            } catch {
                refusal = error
                break
            }
        }
        #expect((try #require(refusal as? FSError)).errno == .noSpace)
        #expect(fresh.count > 3, "more than fitted beside the old messages")
        #expect(registry.messages.compactMap(\.msgID) == fresh, "every message answered as recorded is there, the old ones are gone")
        #expect(lines(directory).count == fresh.count)
        #expect(MessageRegistry(directory: directory, clock: clock).messages.compactMap(\.msgID) == fresh, "and so it reads again")
    }

    @Test func hostileLinesAreSkippedNotFatal() throws {
        let directory = Scratch.directory("registry-hostile")
        let good = try String(decoding: JSONEncoder().encode(message(1)), as: UTF8.self)
        let hostile = [
            good.replacingOccurrences(of: "\"createTime\":\(Int64(clock.now() - 10))", with: "\"createTime\":9223372036854775807"),
            good.replacingOccurrences(of: "\"createTime\":\(Int64(clock.now() - 10))", with: "\"createTime\":-9223372036854775808"),
            good.replacingOccurrences(of: "\"msgId\":\"1\"", with: "\"msgId\":\"..\\/..\\/etc\\/passwd\""),
            good.replacingOccurrences(of: "\"fromUser\":\"oSender\"", with: "\"fromUser\":\"a\\nb\""),
        ]
        #expect(hostile.allSatisfy { $0 != good })
        try (hostile + [good]).joined(separator: "\n").appending("\n").write(toFile: directory + "/messages.jsonl", atomically: true, encoding: .utf8)
        let registry = MessageRegistry(directory: directory, clock: clock)
        #expect(registry.messages.map(\.msgID) == ["1"])
        let tree = InboxTree(messages: registry.messages, now: clock.now(), life: 3 * 86_400) { _ in false }
        #expect(tree.top.map(\.name) == ["2026-08-06"])
    }

    @Test func quotaDaysOfAnyTimeNeverTrap() {
        for time in [Double(Int64.max), Double(Int64.min), .infinity, -.infinity, .nan, 1e308, -1e308] {
            _ = QuotaDay(containing: time).description
        }
    }
}
