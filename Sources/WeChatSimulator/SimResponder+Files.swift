import Hummingbird

/// `GET /files/`: the media items as a plain HTML directory listing (what Apache or nginx `autoindex` serve), and
/// `GET|HEAD /files/<id>.<ext>`: an item's bytes with Range support, like the CDN but unsigned. This is no WeChat
/// API: it lets generic HTTP filesystems (httpdirfs, rclone's http remote) read the same bytes from the same
/// server in `scripts/bench`.
extension SimResponder {
    func files(_ request: Request, _ knobs: SimulatorState.Knobs) async -> SimReply {
        let name = String(request.uri.path.dropFirst("/files".count).drop { $0 == "/" })
        if name.isEmpty {
            let items = await state.items().filter { $0.kind != .hd }.sorted { $0.id < $1.id }
            let links = items.map { "<a href=\"\($0.id).\($0.ext)\">\($0.id).\($0.ext)</a>" }.joined(separator: "\n")
            let page = "<html><head><title>Index of /files/</title></head><body>\n<h1>Index of /files/</h1>\n<pre>\n\(links)\n</pre>\n</body></html>\n"
            return .text(page, contentType: "text/html")
        }
        let id = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        guard let item = await state.mediaItem(id: id), name == "\(item.id).\(item.ext)" else { return .page(.notFound) }
        var reply = download(item, request, knobs, attachment: false)
        if knobs.rangeSupport { reply.headers[.acceptRanges] = "bytes" }
        return reply
    }
}
