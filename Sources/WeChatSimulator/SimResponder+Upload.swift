import Hummingbird

/// `POST /cgi-bin/media/upload?access_token=&type=`, multipart/form-data with the file in part `media`.
/// Checks in the real server's order as far as it is known: token, type (40004), the part (41005),
/// empty (44001), extension (40005), size (40006 for every type).
extension SimResponder {
    static let uploadBodyLimit = 24 * 1024 * 1024

    func upload(_ request: Request) async -> SimReply {
        if let error = await tokenError(request) { return .error(error) }
        guard let type = request.uri.queryParameters["type"], let kind = MediaKind(rawValue: String(type)),
              kind != .hd else { return .error(.invalidMediaType) }
        guard let buffer = try? await request.body.collect(upTo: Self.uploadBodyLimit) else {
            return .error(.invalidMediaSize)
        }
        await state.record(.upload, bytes: Int64(buffer.readableBytes))
        guard let contentType = request.headers[.contentType],
              let boundary = Multipart.boundary(contentType: contentType),
              let parts = Multipart.parse(Array(buffer.readableBytesView), boundary: boundary),
              let media = parts.first(where: { $0.name == "media" })
        else { return .error(.mediaDataMissing) }
        // Recorded before the checks below: a test wants to see what the client sent even when it was refused.
        await state.recordUpload(UploadRecord(contentType: media.contentType, filename: media.filename,
                                              bytes: media.body.count))
        guard !media.body.isEmpty else { return .error(.emptyMedia) }
        guard let filename = media.filename, let (_, ext) = MediaCatalog.split(filename),
              kind.uploadExtensions.contains(ext) else { return .error(.invalidFileType) }
        guard media.body.count <= kind.uploadLimit else { return .error(.invalidMediaSize) }

        let (item, createdAt) = await state.addUpload(kind: kind, ext: ext, bytes: Array(media.body))
        let idKey = kind == .thumb ? "thumb_media_id" : "media_id"
        // Quirk: the real server has been seen to send a voice upload's created_at as a string.
        let created = kind == .voice ? "\"\(createdAt)\"" : "\(createdAt)"
        return .text("{\"type\":\"\(kind.rawValue)\",\"\(idKey)\":\"\(item.id)\",\"created_at\":\(created)}",
                     contentType: SimReply.textPlain)
    }
}
