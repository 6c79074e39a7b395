import Hummingbird

/// What a route decides, before the knobs (Content-Length, bandwidth) and faults (cuts) shape the wire answer.
struct SimReply: Sendable {
    enum Body: Sendable {
        case bytes(ByteBuffer)
        /// `range` of an item's body.
        case media(MediaBody, Range<Int64>)

        var length: Int64 {
            switch self {
            case .bytes(let buffer): Int64(buffer.readableBytes)
            case .media(_, let range): Int64(range.count)
            }
        }
    }

    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body

    static let textPlain = "text/plain"
    static let jsonUTF8 = "application/json; encoding=utf-8"

    static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String) -> SimReply {
        SimReply(status: status, headers: [.contentType: contentType], body: .bytes(ByteBuffer(string: text)))
    }

    /// A WeChat error: HTTP 200, JSON body; media endpoints type it `text/plain`, token endpoints JSON.
    static func error(_ error: WeChatError, contentType: String = textPlain) -> SimReply {
        text(error.json, contentType: contentType)
    }

    /// A bare HTTP error page, as a front end (or a CDN) answers.
    static func page(_ status: HTTPResponse.Status) -> SimReply {
        let title = "\(status.code) \(status.reasonPhrase)"
        return text("<html><head><title>\(title)</title></head><body><center><h1>\(title)</h1></center></body></html>\n",
                    status: status, contentType: "text/html")
    }
}

extension HTTPFields.Element.Name {
    /// The real server spells it with a lower-case d.
    static let wechatContentDisposition = Self("Content-disposition")!
}
