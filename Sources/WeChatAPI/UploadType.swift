/// The four upload types of `POST /cgi-bin/media/upload` and the extensions the server accepts for each.
public enum UploadType: String, Sendable, CaseIterable, Codable {
    case image, voice, video, thumb

    public var allowedExtensions: [String] {
        switch self {
        case .image: return ["jpg", "jpeg", "png", "gif"]
        case .voice: return ["amr", "mp3"]
        case .video: return ["mp4"]
        case .thumb: return ["jpg", "jpeg"]
        }
    }

    /// The largest file the server takes for the type (API doc: image and video 10 MB, voice 2 MB, thumb 64 KB);
    /// the server answers 40006 above it.
    public var sizeLimit: Int64 {
        switch self {
        case .image, .video: return 10 << 20
        case .voice: return 2 << 20
        case .thumb: return 64 << 10
        }
    }

    /// The Content-Type of the file part, from the file's extension: a PNG is sent as what it is, not as the
    /// JPEG its upload type might suggest. The extension was checked against `allowedExtensions` before.
    public static func contentType(forExtension ext: String) -> String {
        switch ext.lowercased() {
        case "jpg", "jpeg": return "image/jpeg"
        case "png": return "image/png"
        case "gif": return "image/gif"
        case "amr": return "audio/amr"
        case "mp3": return "audio/mpeg"
        case "mp4": return "video/mp4"
        default: return "application/octet-stream"
        }
    }
}
