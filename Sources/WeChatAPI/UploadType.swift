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

    /// The Content-Type of the file part, from the file's extension: a PNG is sent as what it is, not as the
    /// JPEG its upload type might suggest. The extension was checked against `allowedExtensions` before.
    static func contentType(forExtension ext: String) -> String {
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
