import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads follower messages from XML: one `<xml>…</xml>` document or several one after the other (a file of
/// pushes, or stdin). Hostile input gets a clear error, never a crash, an outbound fetch or unbounded memory:
/// a size limit, no DTD at all (WeChat never sends one: that rules out entity expansion and external entities),
/// a depth limit, element text capped, and invalid UTF-8 refused.
public enum FollowerMessageParser {
    public static let maximumSize = 4 << 20
    static let maximumDepth = 8
    static let maximumText = 64 << 10

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The messages with media, in order; messages without media (text, location, events) are skipped.
    /// `skipped` receives one line for each message with media that is malformed (a missing field, a bad id, a
    /// CreateTime outside `createdWithin`).
    public static func parse(_ data: [UInt8], createdWithin: ClosedRange<Int64> = plausibleTimes(now: SystemClock().now()),
                             skipped: (String) -> Void = { _ in }) throws(ParseError) -> [FollowerMessage] {
        messages(in: try documents(data), createdWithin: createdWithin, skipped: skipped)
    }

    /// When Official Accounts opened (2012-08-23): no follower message is older.
    public static let earliestTime: Int64 = 1_345_680_000
    /// How far ahead of its reader's clock a CreateTime may be (clocks differ by seconds, not minutes).
    public static let clockSkew: Int64 = 300
    /// How long before its push a message may have been created: WeChat pushes at once and retries for 15 s;
    /// three days (the media's life) is generous.
    public static let pushDelay: Int64 = 3 * 86_400

    /// CreateTimes a message read at `now` (`ingest`) may carry: since Official Accounts opened, up to a clock's
    /// skew ahead. `now` is clamped, so no clock value can make this trap.
    public static func plausibleTimes(now: Double) -> ClosedRange<Int64> {
        let upper = Int64(min(max(now, Double(earliestTime)), 0x1p40)) + clockSkew
        return earliestTime...upper
    }

    /// CreateTimes a pushed message may carry, from its push's (already checked) `timestamp`.
    public static func plausibleTimes(pushedAt timestamp: Int64) -> ClosedRange<Int64> {
        let pushed = min(max(timestamp, earliestTime), 1 << 40)
        return (pushed - pushDelay)...(pushed + clockSkew)
    }

    /// The fields of each `<xml>` document in `data` (its direct children's text, CDATA unwrapped), in order,
    /// under the same limits as `parse`: what the live callback reads its envelope (`Encrypt`) and checks with.
    public static func documents(_ data: [UInt8]) throws(ParseError) -> [[String: String]] {
        guard data.count <= maximumSize else { throw ParseError("input over \(maximumSize >> 20) MiB: not message XML") }
        guard var text = String(validating: data, as: UTF8.self) else { throw ParseError("input is not valid UTF-8") }
        if text.range(of: "<!DOCTYPE", options: .caseInsensitive) != nil || text.range(of: "<!ENTITY", options: .caseInsensitive) != nil {
            throw ParseError("a DTD or entity declaration: WeChat's messages have none; refused")
        }
        // Several documents one after the other: drop their XML declarations and read them under one root.
        text = text.replacingOccurrences(of: #"<\?xml[^>]*\?>"#, with: "", options: .regularExpression)
        let delegate = Collector()
        let parser = XMLParser(data: Data("<batch>\(text)</batch>".utf8))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = delegate
        let parsed = parser.parse()
        if let problem = delegate.problem { throw ParseError(problem) }
        guard parsed, delegate.isBalanced else {
            let line = parser.lineNumber, column = parser.columnNumber
            throw ParseError("malformed XML at line \(line), column \(column): \(parser.parserError.map { "\($0.localizedDescription)" } ?? "parse error")")
        }
        return delegate.documents
    }

    /// The messages with media among `documents` (from `documents(_:)`), as `parse` gives them. Every field that
    /// ends up in a name or a number is checked here, where it enters: MediaId and ThumbMediaId as media ids,
    /// MsgId as WeChat's 64-bit number (1–20 digits), FromUserName/ToUserName as OpenIDs and original ids
    /// (1–64 of `[A-Za-z0-9_-]`), CreateTime a whole number within `createdWithin`, Format a short word.
    public static func messages(in documents: [[String: String]], createdWithin: ClosedRange<Int64>,
                                skipped: (String) -> Void = { _ in }) -> [FollowerMessage] {
        var messages: [FollowerMessage] = []
        for (index, fields) in documents.enumerated() {
            guard let type = fields["MsgType"], ["image", "voice", "video", "shortvideo"].contains(type) else { continue }
            let where_ = "message \(index + 1) (\(type))"
            switch message(type: type, fields, createdWithin: createdWithin) {
            case .success(let message): messages.append(message)
            case .failure(let problem): skipped("\(where_): \(problem.description)")
            }
        }
        return messages
    }

    private static func message(type: String, _ fields: [String: String], createdWithin: ClosedRange<Int64>) -> Result<FollowerMessage, ParseError> {
        guard let raw = fields["MediaId"], let id = MediaID(raw) else { return .failure(ParseError("no valid MediaId")) }
        guard let from = fields["FromUserName"], FollowerMessage.isAccountName(from) else {
            return .failure(ParseError("no valid FromUserName (1 to 64 of A-Z a-z 0-9 _ -)"))
        }
        if let to = fields["ToUserName"], !FollowerMessage.isAccountName(to) {
            return .failure(ParseError("a ToUserName that is not an account id (1 to 64 of A-Z a-z 0-9 _ -)"))
        }
        guard let text = fields["CreateTime"], let time = Int64(text) else { return .failure(ParseError("no CreateTime")) }
        guard createdWithin.contains(time) else {
            return .failure(ParseError("CreateTime \(time) is outside \(createdWithin.lowerBound)...\(createdWithin.upperBound): not a real message's"))
        }
        if let msgID = fields["MsgId"], !FollowerMessage.isMessageID(msgID) {
            return .failure(ParseError("a MsgId that is not WeChat's (1 to 20 digits)"))
        }
        if let format = fields["Format"], !FollowerMessage.isFormat(format) {
            return .failure(ParseError("a Format that is not a short word"))
        }
        var thumb: MediaID?
        if type == "video" || type == "shortvideo", let raw = fields["ThumbMediaId"] {
            guard let id = MediaID(raw) else { return .failure(ParseError("a ThumbMediaId that is not a media id")) }
            thumb = id
        }
        return .success(FollowerMessage(msgType: type, mediaID: id, fromUser: from, toUser: fields["ToUserName"], createTime: time,
                                        msgID: fields["MsgId"], format: fields["Format"], recognition: fields["Recognition"],
                                        picURL: fields["PicUrl"], thumbMediaID: thumb))
    }

    /// The fields of each `<xml>` document (its direct children's text).
    private final class Collector: NSObject, XMLParserDelegate {
        var documents: [[String: String]] = []
        var problem: String?
        private var depth = 0
        private var started = 0
        private var ended = 0
        /// Every element that started ended (FoundationXML may not fail on an unclosed one).
        var isBalanced: Bool { started == ended && started > 0 }
        private var current: [String: String]?
        private var element: String?
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            depth += 1
            started += 1
            guard problem == nil else { return }
            if depth > FollowerMessageParser.maximumDepth { stop(parser, "nesting deeper than \(FollowerMessageParser.maximumDepth) levels") }
            if depth == 2 {
                guard name == "xml" else { return stop(parser, "a <\(name.prefix(40))> at the top: messages are <xml> documents") }
                current = [:]
            } else if depth == 3 {
                element = name
                text = ""
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { append(parser, string) }

        func parser(_ parser: XMLParser, foundCDATA data: Data) { append(parser, String(decoding: data, as: UTF8.self)) }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if depth == 3, let element {
                current?[element] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                self.element = nil
            } else if depth == 2, let current {
                documents.append(current)
                self.current = nil
            }
            depth -= 1
            ended += 1
        }

        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
            stop(parser, "an external entity: refused")
            return nil
        }

        private func append(_ parser: XMLParser, _ string: String) {
            guard depth == 3, problem == nil else { return }
            text += string
            if text.utf8.count > FollowerMessageParser.maximumText { stop(parser, "an element longer than \(FollowerMessageParser.maximumText >> 10) KiB") }
        }

        /// Records the first problem; the rest of the input is then ignored (not aborted: libxml2 stops at its own
        /// limits, the input is at most 4 MiB, and aborting from inside a callback is where FoundationXML is frail).
        private func stop(_ parser: XMLParser, _ reason: String) {
            if problem == nil { problem = reason }
        }
    }
}
