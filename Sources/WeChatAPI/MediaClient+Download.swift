import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

extension MediaClient {
    public func download<Sink: MediaSink>(_ request: MediaRequest, range: ByteRange? = nil, into sink: Sink) async throws -> MediaHead {
        var progress = DownloadProgress(request: request, range: range)
        return try await withRetries("download \(request.id)") { token in
            try await attempt(&progress, token: token, sink: sink)
        }
    }

    /// One try, resuming at what earlier tries delivered. Follows `video_url` (waiting out its 404 window).
    private func attempt<Sink: MediaSink>(_ progress: inout DownloadProgress, token: AccessToken, sink: Sink) async throws -> MediaHead {
        var notReadySince: Double?
        while true {
            let viaCDN = progress.videoURL != nil
            let endpoint = viaCDN ? "cdn" : progress.request.endpoint
            var http = HTTPClientRequest(url: progress.videoURL ?? mediaURL(progress.request, token: token))
            if let header = progress.rangeHeader { http.headers.add(name: "Range", value: header) }
            counters.call(endpoint)
            let response = try await APIHTTP.send(http, endpoint: endpoint, timeout: transferDeadline)

            if viaCDN, response.status == .notFound {
                // A fresh video_url has been seen answering 404 for a few seconds.
                let now = clock.now()
                let since = notReadySince ?? now
                notReadySince = since
                guard now - since < retry.videoNotReadyWindow else {
                    throw WeChatError(.http(status: 404), "video_url still answers 404 after \(Int(retry.videoNotReadyWindow)) s", endpoint: endpoint)
                }
                try await clock.sleep(seconds: 0.5)
                continue
            }
            guard response.status == .ok || response.status == .partialContent else {
                throw WeChatError(.http(status: Int(response.status.code)), "\(endpoint) answered HTTP \(response.status.code)", endpoint: endpoint)
            }
            var body = BodyReader(response.body.makeAsyncIterator(), endpoint: endpoint)
            if !viaCDN, !response.headers.isAttachment {
                switch try await AnswerClassifier.classify(response, body: &body, endpoint: endpoint) {
                case .error(let error):
                    throw error
                case .videoURL(let url):
                    logger.debug("media/get answered a video_url", metadata: ["media_id": "\(progress.request.id)"])
                    progress.videoURL = url
                    if progress.range == nil, let probe = progress.request.videoProbeLength {
                        progress.range = ByteRange(offset: 0, length: probe)
                        progress.probing = true
                    }
                    continue
                case .media:
                    break
                }
            }
            return try await deliver(response, body: &body, progress: &progress, sink: sink, endpoint: endpoint)
        }
    }

    /// Streams the bytes of a media answer into the sink, honouring a Range the server may have ignored.
    private func deliver<Sink: MediaSink>(_ response: HTTPClientResponse, body: inout BodyReader, progress: inout DownloadProgress,
                                          sink: Sink, endpoint: String) async throws -> MediaHead {
        let wanted = progress.nextOffset
        var skip: Int64 = 0
        var total: Int64?
        var expected: Int64?
        let contentLength = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        if response.status == .partialContent {
            guard let contentRange = ContentRange(response.headers.first(name: "Content-Range")), contentRange.start == wanted else {
                throw WeChatError(.badResponse, "\(endpoint): 206 without a matching Content-Range", endpoint: endpoint)
            }
            total = contentRange.total
            expected = contentRange.end - contentRange.start + 1
        } else {
            // 200: the whole item, whatever Range asked. A probe then takes everything the server sends.
            if progress.probing { progress.range = nil }
            skip = wanted
            total = contentLength
            expected = contentLength
        }
        let head = MediaHead(
            totalSize: total,
            contentType: response.headers.first(name: "Content-Type"),
            filename: response.headers.filename,
            fileExtension: MediaExtension.from(contentType: response.headers.first(name: "Content-Type"), filename: response.headers.filename),
            rangeSupported: response.status == .partialContent,
            videoURL: progress.videoURL
        )
        if progress.head == nil {
            try await sink.begin(head)
            progress.head = head
        } else {
            progress.head?.rangeSupported = head.rangeSupported
        }
        var received: Int64 = 0
        while var chunk = try await body.next() {
            received += Int64(chunk.count)
            counters.bytes(endpoint, chunk.count)
            if skip > 0 {
                let dropped = min(skip, Int64(chunk.count))
                chunk.removeFirst(Int(dropped))
                skip -= dropped
            }
            if let remaining = progress.remaining, Int64(chunk.count) > remaining {
                chunk.removeLast(chunk.count - Int(remaining))
            }
            if !chunk.isEmpty {
                try await sink.write(chunk)
                progress.delivered += Int64(chunk.count)
            }
            if progress.remaining == 0 { return progress.head ?? head }
        }
        if let expected, received < expected {
            throw WeChatError(.transport, "\(endpoint): body truncated at \(received) of \(expected) bytes", endpoint: endpoint)
        }
        // A range reaching past the end of the item is complete at the item's end.
        let reachedEnd = total.map { progress.nextOffset >= $0 } ?? false
        if skip > 0 || ((progress.remaining ?? 0) > 0 && !reachedEnd) {
            throw WeChatError(.badResponse, "\(endpoint): the item is shorter than the range asked", endpoint: endpoint)
        }
        return progress.head ?? head
    }
}

/// What a download has achieved across its tries.
struct DownloadProgress {
    let request: MediaRequest
    var range: ByteRange?
    var probing = false
    var videoURL: String?
    var head: MediaHead?
    var delivered: Int64 = 0

    init(request: MediaRequest, range: ByteRange?) {
        self.request = request
        self.range = range
        self.videoURL = request.videoURL
    }

    var nextOffset: Int64 { (range?.offset ?? 0) + delivered }
    var remaining: Int64? { range?.length.map { $0 - delivered } }

    /// `bytes=a-b` when something other than the whole item from 0 is wanted.
    var rangeHeader: String? {
        let start = nextOffset
        if let remaining { return "bytes=\(start)-\(start + remaining - 1)" }
        return start > 0 ? "bytes=\(start)-" : nil
    }
}

/// `Content-Range: bytes a-b/total` (total may be `*`).
struct ContentRange {
    let start: Int64
    let end: Int64
    let total: Int64?

    init?(_ header: String?) {
        guard let header, header.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = header.dropFirst(6)
        let parts = spec.split(separator: "/", maxSplits: 1)
        let bounds = parts.first?.split(separator: "-") ?? []
        guard bounds.count == 2, let start = Int64(bounds[0]), let end = Int64(bounds[1]), end >= start else { return nil }
        self.start = start
        self.end = end
        self.total = parts.count == 2 ? Int64(parts[1]) : nil
    }
}

extension HTTPHeaders {
    var isAttachment: Bool {
        first(name: "Content-Disposition")?.lowercased().contains("attachment") ?? false
    }

    /// `filename="X.jpg"` from Content-Disposition (header name case varies; lookup is case-insensitive).
    var filename: String? {
        guard let disposition = first(name: "Content-Disposition"), let range = disposition.range(of: "filename=") else { return nil }
        var name = disposition[range.upperBound...].prefix(while: { $0 != ";" })
        name = name.drop(while: { $0 == "\"" || $0 == " " })
        while name.last == "\"" || name.last == " " { name = name.dropLast() }
        return name.isEmpty ? nil : String(name)
    }
}
