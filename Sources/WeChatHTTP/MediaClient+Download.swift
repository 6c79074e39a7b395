import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

extension MediaClient {
    public func download<Sink: MediaSink>(_ request: MediaRequest, range: ByteRange? = nil, into sink: Sink) async throws -> MediaHead {
        // Refused before a token is even asked for when media/get would be called and the day's limit is spent.
        if request.videoURL == nil { try quota?.check() }
        var progress = DownloadProgress(request: request, range: range, now: clock.now())
        return try await withLazyRetries("download \(request.id)") { token in
            try await attempt(&progress, token: token, sink: sink)
        }
    }

    public func videoURL(for request: MediaRequest) async throws -> String {
        var plain = request
        plain.videoURL = nil
        try quota?.check()
        return try await withRetries("video_url of \(request.id)") { token in
            let endpoint = plain.endpoint
            try countCall(endpoint)
            let response = try await timedSend(HTTPClientRequest(url: mediaURL(plain, token: token)), endpoint: endpoint, timeout: headDeadline)
            guard response.status == .ok else {
                throw WeChatError(.http(status: Int(response.status.code)), "\(endpoint) answered HTTP \(response.status.code)", endpoint: endpoint)
            }
            var body = BodyReader(response.body.makeAsyncIterator(), endpoint: endpoint)
            let answer = response.headers.isAttachment ? .media : try await AnswerClassifier.classify(response, body: &body, endpoint: endpoint)
            switch answer {
            case .error(let error): throw error
            case .videoURL(let url): return url
            case .media: throw WeChatError(.badResponse, "\(endpoint) now answers the video's bytes instead of a video_url", endpoint: endpoint)
            }
        }
    }

    /// One try, resuming at what earlier tries delivered. Follows `video_url` (waiting out the 404 window of a
    /// fresh one); continues a range a server answered only in part.
    private func attempt<Sink: MediaSink>(_ progress: inout DownloadProgress, token: LazyToken, sink: Sink) async throws -> MediaHead {
        var notReadySince: Double?
        while true {
            let viaCDN = progress.videoURL != nil
            let endpoint = viaCDN ? "cdn" : progress.request.endpoint
            let url: String
            if let videoURL = progress.videoURL { url = videoURL } else { url = mediaURL(progress.request, token: try await token.value()) }
            var http = HTTPClientRequest(url: url)
            if let header = progress.rangeHeader { http.headers.add(name: "Range", value: header) }
            try countCall(endpoint)
            let response: HTTPClientResponse
            do {
                response = try await timedSend(http, endpoint: endpoint, timeout: progress.stallRetried ? stallBudget : stallDeadline)
            } catch let error as WeChatError where error.kind == .timeout && !progress.stallRetried {
                // No answer's head within half the timeout: most often a pooled connection the network has dropped
                // without a word. One more try, on a fresh connection (the stalled one is closed), from where the
                // bytes stopped; both together stay within --timeout.
                progress.stallRetried = true
                logger.info("\(endpoint): no answer within \(stallDeadline) (\(error.shortDescription)); asking once more on a fresh connection",
                            metadata: ["media_id": "\(progress.request.id)"])
                continue
            }

            if viaCDN, [.forbidden, .notFound, .gone].contains(response.status) {
                // A fresh video_url has been seen answering 404 for a few seconds; a kept one that answers
                // 403/404/410 has expired (signed addresses do), and only media/get can give another. A fresh
                // one refused with 403/410 is a plain error: asking media/get again would only loop.
                let fresh = progress.isFresh(now: clock.now())
                guard fresh, response.status == .notFound else {
                    if fresh {
                        throw WeChatError(.http(status: Int(response.status.code)), "a fresh video_url answered HTTP \(response.status.code)", endpoint: endpoint)
                    }
                    throw WeChatError(.expiredURL, "video_url answered HTTP \(response.status.code)", endpoint: endpoint)
                }
                let now = clock.now()
                let since = notReadySince ?? now
                notReadySince = since
                guard now - since < retry.videoNotReadyWindow else {
                    throw WeChatError(.http(status: 404), "video_url still answers 404 after \(Int(retry.videoNotReadyWindow)) s", endpoint: endpoint)
                }
                try await clock.sleep(seconds: 0.5)
                continue
            }
            if response.status == .rangeNotSatisfiable, progress.isContinuation, progress.remaining == nil {
                // `bytes=N-` past the end of an item whose size no answer told: it ends at N.
                if let total = ContentRange.unsatisfiedTotal(response.headers.first(name: "Content-Range")), total != progress.nextOffset {
                    throw WeChatError(.badResponse, "\(endpoint): the item ends at \(total), not \(progress.nextOffset)", endpoint: endpoint)
                }
                return progress.head!
            }
            guard response.status == .ok || response.status == .partialContent else {
                throw WeChatError(.http(status: Int(response.status.code)), "\(endpoint) answered HTTP \(response.status.code)", endpoint: endpoint)
            }
            var body = BodyReader(response.body.makeAsyncIterator(), endpoint: endpoint)
            if viaCDN {
                if let refusal = try await AnswerClassifier.refuseCDN(response, body: &body, endpoint: endpoint) {
                    guard progress.isFresh(now: clock.now()) else {
                        throw WeChatError(.expiredURL, "video_url answered something that is not the video (\(refusal.message))", endpoint: endpoint)
                    }
                    throw refusal
                }
            } else if !response.headers.isAttachment {
                switch try await AnswerClassifier.classify(response, body: &body, endpoint: endpoint) {
                case .error(let error):
                    throw error
                case .videoURL(let url):
                    logger.debug("media/get answered a video_url", metadata: ["media_id": "\(progress.request.id)"])
                    progress.videoURL = url
                    progress.urlObtainedAt = clock.now()
                    if progress.range == nil, let probe = progress.request.videoProbeLength {
                        progress.range = ByteRange(offset: 0, length: probe)
                        progress.probing = true
                    }
                    continue
                case .media:
                    break
                }
            }
            switch try await deliver(response, body: &body, progress: &progress, sink: sink, endpoint: endpoint) {
            case .complete(let head):
                return head
            case .continueAt:
                // A server that caps ranges answered part of what was asked: ask for the rest.
                notReadySince = nil
                continue
            }
        }
    }

    /// `APIHTTP.send`, its time to the answer's head told to the counters' latency observer.
    private func timedSend(_ request: HTTPClientRequest, endpoint: String, timeout: TimeAmount) async throws -> HTTPClientResponse {
        let start = ContinuousClock.now
        let response = try await APIHTTP.send(request, endpoint: endpoint, timeout: timeout, client: http)
        counters.answered(endpoint, after: start.duration(to: .now))
        return response
    }

    private enum Delivery {
        case complete(MediaHead)
        case continueAt(Int64)
    }

    /// Streams the bytes of a media answer into the sink, honouring a Range the server may have ignored.
    private func deliver<Sink: MediaSink>(_ response: HTTPClientResponse, body: inout BodyReader, progress: inout DownloadProgress,
                                          sink: Sink, endpoint: String) async throws -> Delivery {
        let wanted = progress.nextOffset
        var skip: Int64 = 0
        var total: Int64?
        var expected: Int64?
        let contentLength = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        if response.status == .partialContent {
            guard let contentRange = ContentRange(response.headers.first(name: "Content-Range")), contentRange.start == wanted else {
                throw WeChatError(.badResponse, "\(endpoint): 206 without a matching Content-Range", endpoint: endpoint)
            }
            if let asked = progress.remaining, contentRange.end - contentRange.start + 1 > asked {
                throw WeChatError(.badResponse, "\(endpoint): 206 for more than the range asked", endpoint: endpoint)
            }
            // `bytes a-b/*` says nothing of the size: it is learnt from another answer, or at the end.
            total = contentRange.total
            expected = contentRange.end - contentRange.start + 1
            if total == nil, progress.probing {
                // A probe cannot tell the size: read the whole video instead, in as many answers as it takes.
                progress.range = ByteRange(offset: 0)
                progress.probing = false
            }
        } else {
            // 200: the whole item, whatever Range asked. A probe then takes everything the server sends.
            if progress.probing { progress.range = nil }
            progress.probing = false
            skip = wanted
            total = contentLength
            expected = contentLength
        }
        let head = MediaHead(
            totalSize: total,
            contentType: response.headers.first(name: "Content-Type"),
            filename: response.headers.filename,
            fileExtension: MediaExtension.from(contentType: response.headers.first(name: "Content-Type"), filename: response.headers.filename),
            rangeSupported: response.status == .partialContent && total != nil,
            videoURL: progress.videoURL
        )
        if progress.head == nil {
            try await sink.begin(head)
            progress.head = head
        } else {
            // A continuation or a retry describes the same immutable item: another size is the server's error.
            if let known = progress.head?.totalSize, let total, total != known {
                throw WeChatError(.badResponse, "\(endpoint): an answer says the item is \(total) bytes, an earlier one \(known)", endpoint: endpoint)
            }
            if progress.head?.totalSize == nil { progress.head?.totalSize = total }
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
                if endpoint == "cdn" { progress.urlServed = true }
            }
            if progress.remaining == 0 { return .complete(progress.head ?? head) }
        }
        if let expected, received < expected {
            throw WeChatError(.transport, "\(endpoint): body truncated at \(received) of \(expected) bytes", endpoint: endpoint)
        }
        let knownTotal = total ?? progress.head?.totalSize
        let reachedEnd = knownTotal.map { progress.nextOffset >= $0 } ?? false
        if response.status == .partialContent, !reachedEnd, progress.remaining ?? 1 > 0 {
            guard received > 0 else {
                throw WeChatError(.badResponse, "\(endpoint): 206 with no bytes", endpoint: endpoint)
            }
            progress.isContinuation = true
            return .continueAt(progress.nextOffset)
        }
        // A range reaching past the end of the item is complete at the item's end.
        if skip > 0 || ((progress.remaining ?? 0) > 0 && !reachedEnd) {
            throw WeChatError(.badResponse, "\(endpoint): the item is shorter than the range asked", endpoint: endpoint)
        }
        return .complete(progress.head ?? head)
    }
}

/// What a download has achieved across its tries.
struct DownloadProgress {
    let request: MediaRequest
    var range: ByteRange?
    var probing = false
    var videoURL: String?
    /// When `videoURL` came from media/get (in this download, or handed over as fresh); nil for a kept one.
    var urlObtainedAt: Double? {
        didSet { urlServed = false }
    }
    /// `videoURL` has served bytes in this download: a 404 from it now is expiry, not "not ready yet".
    var urlServed = false
    /// A request of this download got no answer's head in time and was asked again (once per download).
    var stallRetried = false
    /// The next request continues an answer that covered only part of the range.
    var isContinuation = false
    var head: MediaHead?
    var delivered: Int64 = 0

    init(request: MediaRequest, range: ByteRange?, now: Double) {
        self.request = request
        self.range = range
        self.videoURL = request.videoURL
        self.urlObtainedAt = request.videoURLIsFresh ? now : nil
        // A whole video asked by its URL (a refresh in a lookup's transfer) is probed as media/get's answer is.
        if range == nil, request.videoURL != nil, let probe = request.videoProbeLength {
            self.range = ByteRange(offset: 0, length: probe)
            self.probing = true
        }
    }

    /// A URL from media/get may answer 404 for its first seconds (`MediaRequest.freshURLWindow`).
    func isFresh(now: Double) -> Bool {
        guard !urlServed else { return false }
        return urlObtainedAt.map { now - $0 < MediaRequest.freshURLWindow } ?? false
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
        let parts = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        // Exactly `a-b`: "-1-5" is not 1-5, nor "1--5" 1-5 (empty pieces are kept so they fail to parse).
        let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Int64(bounds[0]), let end = Int64(bounds[1]), start >= 0, end >= start else { return nil }
        // A total must be `*` or a size the range lies within: "bytes 0-99/10" contradicts itself (FuzzTests).
        var total: Int64?
        if parts.count == 2, parts[1] != "*" {
            guard let size = Int64(parts[1]), size > end else { return nil }
            total = size
        }
        self.start = start
        self.end = end
        self.total = total
    }

    /// The size in a 416's `Content-Range: bytes */total`.
    static func unsatisfiedTotal(_ header: String?) -> Int64? {
        guard let header, header.lowercased().hasPrefix("bytes */"), let total = Int64(header.dropFirst(8)), total >= 0 else { return nil }
        return total
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
