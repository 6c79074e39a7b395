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
    /// `skipped` receives one line for each message with media that is malformed (a missing field, a bad id).
    public static func parse(_ data: [UInt8], skipped: (String) -> Void = { _ in }) throws(ParseError) -> [FollowerMessage] {
        messages(in: try documents(data), skipped: skipped)
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

    /// The messages with media among `documents` (from `documents(_:)`), as `parse` gives them.
    public static func messages(in documents: [[String: String]], skipped: (String) -> Void = { _ in }) -> [FollowerMessage] {
        var messages: [FollowerMessage] = []
        for (index, fields) in documents.enumerated() {
            guard let type = fields["MsgType"], ["image", "voice", "video", "shortvideo"].contains(type) else { continue }
            let where_ = "message \(index + 1) (\(type)\(fields["MsgId"].map { ", MsgId \($0)" } ?? ""))"
            guard let raw = fields["MediaId"], let id = MediaID(raw) else { skipped("\(where_): no valid MediaId"); continue }
            guard let from = fields["FromUserName"], !from.isEmpty else { skipped("\(where_): no FromUserName"); continue }
            guard let time = fields["CreateTime"].flatMap({ Int64($0) }) else { skipped("\(where_): no CreateTime"); continue }
            var thumb: MediaID?
            if type == "video" || type == "shortvideo", let raw = fields["ThumbMediaId"] {
                guard let id = MediaID(raw) else { skipped("\(where_): a ThumbMediaId that is not a media id"); continue }
                thumb = id
            }
            messages.append(FollowerMessage(msgType: type, mediaID: id, fromUser: from, toUser: fields["ToUserName"], createTime: time,
                                            msgID: fields["MsgId"], format: fields["Format"], recognition: fields["Recognition"],
                                            picURL: fields["PicUrl"], thumbMediaID: thumb))
        }
        return messages
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
