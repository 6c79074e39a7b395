import AsyncHTTPClient
import NIOCore

/// The robust rule of the API doc for an answer without `Content-Disposition: attachment`: read a bounded
/// prefix; a JSON `errcode` is an error, a `video_url` is followed, media bytes of a media content type pass,
/// anything else is an I/O error. An error body is never taken for media.
enum AnswerClassifier {
    enum Answer {
        case error(WeChatError)
        case videoURL(String)
        case media
    }

    static let prefixLimit = 64 * 1024

    static func classify(_ response: HTTPClientResponse, body: inout BodyReader, endpoint: String) async throws -> Answer {
        let prefix = try await body.peek(upTo: prefixLimit)
        if let json = APIJSON(prefix) {
            if let error = json.error(endpoint: endpoint) { return .error(error) }
            if let url = json.string("video_url"), url.hasPrefix("http://") || url.hasPrefix("https://") { return .videoURL(url) }
            return .error(WeChatError(.badResponse, "\(endpoint) answered JSON that is neither media nor an error", endpoint: endpoint))
        }
        let contentType = response.headers.first(name: "Content-Type")
        if MediaExtension.isMediaType(contentType), prefix.first != UInt8(ascii: "{") { return .media }
        let kind = contentType?.split(separator: ";").first.map(String.init) ?? "no content type"
        return .error(WeChatError(.badResponse, "\(endpoint) answered \(kind) that is neither media nor JSON", endpoint: endpoint))
    }
}

extension AnswerClassifier {
    /// A video CDN's 200/206 is the video unless it says or looks otherwise: an HTML or JSON page (an error
    /// page, `{"errcode":…}`) is never taken for the video. Returns the error, or nil for media.
    static func refuseCDN(_ response: HTTPClientResponse, body: inout BodyReader, endpoint: String) async throws -> WeChatError? {
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        let declared = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if declared.hasPrefix("text/") || declared.contains("json") || declared.contains("html") || declared.contains("xml") {
            return WeChatError(.badResponse, "\(endpoint) answered \(declared), not the video", endpoint: endpoint)
        }
        let prefix = try await body.peek(upTo: 4096)
        if let json = APIJSON(prefix) {
            return json.error(endpoint: endpoint) ?? WeChatError(.badResponse, "\(endpoint) answered JSON, not the video", endpoint: endpoint)
        }
        let start = String(decoding: prefix.prefix(256), as: UTF8.self).lowercased().drop { $0.isWhitespace }
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") || start.hasPrefix("<?xml") {
            return WeChatError(.badResponse, "\(endpoint) answered an HTML page, not the video", endpoint: endpoint)
        }
        return nil
    }
}

/// A response body that can be peeked at before it is streamed.
struct BodyReader {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var buffered: [UInt8] = []
    private var finished = false
    let endpoint: String

    init(_ iterator: HTTPClientResponse.Body.AsyncIterator, endpoint: String) {
        self.iterator = iterator
        self.endpoint = endpoint
    }

    /// Buffers up to `limit` bytes (fewer if the body ends) and returns them; they are delivered again by `next`.
    mutating func peek(upTo limit: Int) async throws -> [UInt8] {
        while buffered.count < limit, !finished {
            guard let chunk = try await pull() else { finished = true; break }
            buffered.append(contentsOf: chunk)
        }
        return buffered
    }

    mutating func next() async throws -> [UInt8]? {
        if !buffered.isEmpty {
            defer { buffered = [] }
            return buffered
        }
        if finished { return nil }
        return try await pull()
    }

    private mutating func pull() async throws -> [UInt8]? {
        do {
            guard let buffer = try await iterator.next() else { return nil }
            return Array(buffer.readableBytesView)
        } catch {
            throw APIHTTP.translate(error, endpoint: endpoint)
        }
    }
}
