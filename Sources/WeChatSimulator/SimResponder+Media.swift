import Hummingbird

/// `GET /cgi-bin/media/get`, `GET /cgi-bin/media/get/jssdk` and the video CDN `GET /cdn/<key>`.
/// An hd-only id asked of media/get answers 40007 (the catalogues are separate; a media directory may hold the
/// same id under voice/ and hd/ to serve both, as a JSSDK voice is).
extension SimResponder {
    func mediaGet(_ request: Request, _ context: SimRequestContext, _ knobs: SimulatorState.Knobs) async -> SimReply {
        if let error = await tokenError(request) { return .error(error) }
        guard let id = request.uri.queryParameters["media_id"], !id.isEmpty else { return .error(.mediaIDMissing) }
        guard let item = await state.mediaItem(id: String(id)) else { return .error(.invalidMediaID) }
        if item.kind == .video, !knobs.videoDirect {
            let path = await state.issueVideoURL(for: item.id)
            let base = context.localBaseURL ?? "http://127.0.0.1"
            return .text("{\"video_url\":\(JSONText.quote(base + path))}", contentType: SimReply.textPlain)
        }
        return download(item, request, knobs, attachment: true)
    }

    func jssdkGet(_ request: Request, _ knobs: SimulatorState.Knobs) async -> SimReply {
        if let error = await tokenError(request) { return .error(error) }
        guard let id = request.uri.queryParameters["media_id"], !id.isEmpty else { return .error(.mediaIDMissing) }
        guard let item = await state.hdItem(id: String(id)) else { return .error(.invalidMediaID) }
        return download(item, request, knobs, attachment: true)
    }

    /// Expired or tampered URLs answer 403 with a small HTML page, as CDNs do; unknown keys and gone items 404.
    func cdn(_ request: Request, _ knobs: SimulatorState.Knobs) async -> SimReply {
        let key = String(request.uri.path.dropFirst("/cdn/".count))
        let query = request.uri.queryParameters
        let item: SimItem
        switch await state.cdnItem(key: key, expires: query["e"], signature: query["s"]) {
        case .found(let found): item = found
        case .forbidden: return .page(.forbidden)
        case .notYet, .unknown: return .page(.notFound)
        }
        var reply = download(item, request, knobs, attachment: false)
        if knobs.rangeSupport { reply.headers[.acceptRanges] = "bytes" }
        return reply
    }

    /// The file answer: 200 with the whole body, or 206/416 for a Range when the knob honours it.
    func download(_ item: SimItem, _ request: Request, _ knobs: SimulatorState.Knobs, attachment: Bool) -> SimReply {
        var headers: HTTPFields = [.contentType: item.contentType]
        if attachment {
            headers[.wechatContentDisposition] = "attachment; filename=\"\(item.id).\(item.ext)\""
            headers[.cacheControl] = "no-cache, must-revalidate"
        }
        let total = item.size
        let range = knobs.rangeSupport ? RangeRequest(header: request.headers[.range], total: total) : .full
        switch range {
        case .full:
            return SimReply(status: .ok, headers: headers, body: .media(item.body, 0..<total))
        case .partial(var part):
            // rangeCap: servers cap big ranges and answer less than was asked; the Content-Range tells what came.
            if let cap = knobs.rangeCap, part.count > cap { part = part.lowerBound..<part.lowerBound + Int64(cap) }
            // unknownTotal: "/*" withholds the complete length (RFC 9110 §14.4), as streaming origins do.
            let length = knobs.unknownTotal ? "*" : String(total)
            headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(length)"
            return SimReply(status: .partialContent, headers: headers, body: .media(item.body, part))
        case .unsatisfiable:
            // No attachment header here: clients take "attachment" to mean file bytes.
            // The total stays even with unknownTotal: RFC 9110 wants it in a 416, and the server knows it.
            return SimReply(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(total)"],
                            body: .bytes(ByteBuffer()))
        }
    }
}
