import Hummingbird

/// Hostile answers of the chaos kinds: what a broken front end, a confused CDN or a malicious middlebox may
/// send. None of them carries wrong bytes under a header that honestly describes them: a client must refuse
/// each, never store it.
extension SimReply {
    /// HTTP 200, a WeChat error whose errmsg is 1 MiB: a client reading it whole has no bound.
    static var hugeErrmsg: SimReply {
        text("{\"errcode\":-1,\"errmsg\":\"" + String(repeating: "system error ", count: 80_660) + "\"}", contentType: textPlain)
    }

    /// A video_url that is no web address.
    static var badVideoURL: SimReply {
        text("{\"video_url\":\"file:///etc/passwd\"}", contentType: textPlain)
    }

    /// 302 back to the very URL asked: followed, it never ends.
    static func redirectLoop(to uri: String) -> SimReply {
        var reply = page(.found)
        reply.headers[.location] = uri
        return reply
    }

    /// The same answer with a Content-Range that lies about the bytes it carries: shifted by one byte (a 200 is
    /// turned into such a 206). Answers that are no media pass unchanged.
    func withMismatchedRange() -> SimReply {
        guard case .media(let body, let range) = self.body, !range.isEmpty else { return self }
        var reply = self
        reply.status = .partialContent
        reply.headers[.contentRange] = "bytes \(range.lowerBound + 1)-\(range.upperBound)/\(body.size + 1)"
        reply.body = .media(body, range)
        return reply
    }

    /// A 206, true in itself, for another range than was asked: it starts later (or, for a one-byte range past 0,
    /// one byte earlier). Nil when no other range exists (a one-byte item).
    func forOtherRange() -> SimReply? {
        guard case .media(let body, let range) = self.body, body.size > 1 else { return nil }
        let total = body.size
        let other: Range<Int64> = if range.count > 1 {
            (range.lowerBound + max(1, min(4096, Int64(range.count) / 2)))..<range.upperBound
        } else if range.lowerBound > 0 {
            (range.lowerBound - 1)..<range.lowerBound
        } else {
            1..<2
        }
        var reply = self
        reply.status = .partialContent
        reply.headers[.contentRange] = "bytes \(other.lowerBound)-\(other.upperBound - 1)/\(total)"
        reply.body = .media(body, other)
        return reply
    }

    /// A 206 past byte 0 whose Content-Range names a total 4 KiB larger than the item's (the first answer said
    /// the right one): a continuation that disagrees about the size. Answers from byte 0 are left as they are.
    func withOtherTotal() -> SimReply {
        guard status == .partialContent, case .media(let body, let range) = self.body, range.lowerBound > 0 else { return self }
        var reply = self
        reply.headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(body.size + 4096)"
        return reply
    }
}
