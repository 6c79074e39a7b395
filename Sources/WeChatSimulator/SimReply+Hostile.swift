import Hummingbird

/// Answers a CDN (or a captive proxy, or a misrouted request) gives with status 200 though they carry no media:
/// the `html200` and `json200` faults. A client must not store them as the file.
extension SimReply {
    /// HTTP 200, `text/html`: an error page such as CDNs serve for an origin failure, with no error status.
    static var htmlErrorPage200: SimReply {
        let page = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Error</title></head>
            <body><h1>Sorry, the page you are looking for is currently unavailable.</h1>
            <p>Please try again later. Request id: \(WeChatError.rid())</p></body></html>

            """
        return text(page, contentType: "text/html")
    }

    /// HTTP 200 typed as an image, no `Content-Disposition`: WeChat's "invalid media_id" where the bytes should be
    /// (a proxy that rewrote the type, or a server that labels every answer of media/get as media).
    static var invalidMediaIDAsImage: SimReply {
        text("{\"errcode\":40007,\"errmsg\":\"invalid media_id rid: \(WeChatError.rid())\"}", contentType: "image/jpeg")
    }

    /// HTTP 200, `application/json`: a WeChat-style error where the bytes should be.
    static var systemErrorJSON200: SimReply {
        text("{\"errcode\":-1,\"errmsg\":\"system error\"}", contentType: "application/json")
    }
}
