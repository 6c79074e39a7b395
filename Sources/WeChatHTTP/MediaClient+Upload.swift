import AsyncHTTPClient
import Foundation
import NIOCore

extension MediaClient {
    /// Uploads a file as temporary media, streaming it as multipart part `media` with its filename.
    /// The filename must carry an extension the type accepts (the server answers 40005 otherwise); the part's
    /// Content-Type follows that extension.
    ///
    /// Re-sent only when the request surely never reached the server (`ResendRule.onlyIfUnsent`): after a
    /// timeout, a reset or a 5xx the server may have stored the file, and a second try would make a second
    /// media_id. Such failures go to the caller, who knows whether a duplicate matters.
    /// `progress`: told (bytes sent, file size) as the body goes out (a retry starts again from 0).
    public func upload(file path: String, type: UploadType, filename: String? = nil,
                       progress: (@Sendable (Int64, Int64) -> Void)? = nil) async throws -> UploadResult {
        let name = filename ?? (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension.lowercased()
        guard type.allowedExtensions.contains(ext) else {
            throw WeChatError(.local, "\(name): a \(type.rawValue) upload needs one of the extensions \(type.allowedExtensions.joined(separator: ", "))")
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw WeChatError(.local, "cannot read \(path)")
        }
        let multipart = MultipartFile(path: path, filename: name, contentType: UploadType.contentType(forExtension: ext), size: size)
        try quota?.check()
        return try await withRetries("upload \(name)", resend: .onlyIfUnsent) { token in
            try await uploadOnce(multipart, type: type, token: token, progress: progress)
        }
    }

    /// One try. A failure before the body's first byte was asked for is thrown as `UnsentRequest`.
    private func uploadOnce(_ multipart: MultipartFile, type: UploadType, token: AccessToken,
                            progress: (@Sendable (Int64, Int64) -> Void)?) async throws -> UploadResult {
        let endpoint = "media/upload"
        var request = HTTPClientRequest(url: "\(apiBase)/cgi-bin/media/upload?access_token=\(token.value.queryEscaped)&type=\(type.rawValue)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(multipart.boundary)")
        let probe = BodyStartProbe()
        request.body = .stream(multipart.chunks(probe: probe, progress: progress), length: .known(multipart.length))
        try countCall(endpoint)
        let response: HTTPClientResponse
        do {
            let start = ContinuousClock.now
            response = try await http.execute(request, timeout: transferDeadline)
            counters.answered("media/upload", after: start.duration(to: .now))
        } catch {
            let failure = APIHTTP.translate(error, endpoint: endpoint)
            // A cancelled upload is not resent, whatever it reached.
            if !probe.hasStarted, !Task.isCancelled { throw UnsentRequest(error: failure) }
            throw failure
        }
        let body = try await APIHTTP.collect(response, limit: 1 << 20, endpoint: endpoint)
        guard response.status == .ok else {
            throw WeChatError(.http(status: Int(response.status.code)), "\(endpoint) answered HTTP \(response.status.code)", endpoint: endpoint)
        }
        guard let json = APIJSON(body) else {
            throw WeChatError(.badResponse, "\(endpoint) did not answer JSON", endpoint: endpoint)
        }
        if let error = json.error(endpoint: endpoint) { throw error }
        guard let raw = json.string(type == .thumb ? "thumb_media_id" : "media_id") ?? json.string("media_id"),
              let id = MediaID(raw) else {
            throw WeChatError(.badResponse, "\(endpoint) answered without a valid media_id", endpoint: endpoint)
        }
        let created = json.string("created_at").flatMap { Int64($0) }
        return UploadResult(type: json.string("type") ?? type.rawValue, mediaID: id, createdAt: created)
    }
}
