import AsyncHTTPClient
import Foundation
import NIOCore

/// The four upload types of `POST /cgi-bin/media/upload` and the extensions the server accepts for each.
public enum UploadType: String, Sendable, CaseIterable {
    case image, voice, video, thumb

    public var allowedExtensions: [String] {
        switch self {
        case .image: return ["jpg", "jpeg", "png", "gif"]
        case .voice: return ["amr", "mp3"]
        case .video: return ["mp4"]
        case .thumb: return ["jpg", "jpeg"]
        }
    }

    var contentType: String {
        switch self {
        case .image, .thumb: return "image/jpeg"
        case .voice: return "audio/amr"
        case .video: return "video/mp4"
        }
    }
}

public struct UploadResult: Sendable, Equatable {
    public var type: String
    public var mediaID: MediaID
    public var createdAt: Int64?
}

extension MediaClient {
    /// Uploads a file as temporary media, streaming it as multipart part `media` with its filename.
    /// The filename must carry an extension the type accepts (the server answers 40005 otherwise).
    public func upload(file path: String, type: UploadType, filename: String? = nil) async throws -> UploadResult {
        let name = filename ?? (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension.lowercased()
        guard type.allowedExtensions.contains(ext) else {
            throw WeChatError(.local, "\(name): a \(type.rawValue) upload needs one of the extensions \(type.allowedExtensions.joined(separator: ", "))")
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw WeChatError(.local, "cannot read \(path)")
        }
        let multipart = MultipartFile(path: path, filename: name, contentType: type.contentType, size: size)
        return try await withRetries("upload \(name)") { token in
            var request = HTTPClientRequest(url: "\(apiBase)/cgi-bin/media/upload?access_token=\(token.value.queryEscaped)&type=\(type.rawValue)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(multipart.boundary)")
            request.body = .stream(multipart.chunks(), length: .known(multipart.length))
            let json = try await APIHTTP.json(request, endpoint: "media/upload", timeout: transferDeadline)
            guard let raw = json.string(type == .thumb ? "thumb_media_id" : "media_id") ?? json.string("media_id"),
                  let id = MediaID(raw) else {
                throw WeChatError(.badResponse, "media/upload answered without a valid media_id", endpoint: "media/upload")
            }
            let created = json.string("created_at").flatMap { Int64($0) }
            return UploadResult(type: json.string("type") ?? type.rawValue, mediaID: id, createdAt: created)
        }
    }
}

/// A multipart/form-data body with one file part, read from disk in chunks (never whole in memory).
struct MultipartFile: Sendable {
    let path: String
    let boundary: String
    let preamble: [UInt8]
    let epilogue: [UInt8]
    let size: Int64

    init(path: String, filename: String, contentType: String, size: Int64) {
        self.path = path
        self.size = size
        boundary = "wxmediafs-" + String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let safeName = filename.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "_").replacingOccurrences(of: "\n", with: "_")
        preamble = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"media\"; filename=\"\(safeName)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        epilogue = Array("\r\n--\(boundary)--\r\n".utf8)
    }

    var length: Int64 { Int64(preamble.count) + size + Int64(epilogue.count) }

    func chunks() -> AsyncThrowingStream<ByteBuffer, any Error> {
        let path = path, preamble = preamble, epilogue = epilogue, size = size
        return AsyncThrowingStream { continuation in
            let task = Task.detached {
                do {
                    continuation.yield(ByteBuffer(bytes: preamble))
                    guard let handle = FileHandle(forReadingAtPath: path) else {
                        throw WeChatError(.local, "cannot open \(path)")
                    }
                    defer { try? handle.close() }
                    var sent: Int64 = 0
                    while sent < size {
                        try Task.checkCancellation()
                        let data = try handle.read(upToCount: 256 * 1024) ?? Data()
                        if data.isEmpty { throw WeChatError(.local, "\(path) shrank while being uploaded") }
                        sent += Int64(data.count)
                        continuation.yield(ByteBuffer(bytes: data))
                    }
                    continuation.yield(ByteBuffer(bytes: epilogue))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
