/// The file extension of an item, from its content type first and its filename second.
public enum MediaExtension {
    public static func from(contentType: String?, filename: String?) -> String {
        if let contentType, let ext = fromContentType(contentType) { return ext }
        if let filename, let dot = filename.lastIndex(of: ".") {
            let ext = filename[filename.index(after: dot)...].lowercased()
            if !ext.isEmpty, ext.count <= 8, ext.allSatisfy({ $0.isLetter || $0.isNumber }) { return ext }
        }
        return "bin"
    }

    static func fromContentType(_ raw: String) -> String? {
        let type = raw.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "image/jpeg", "image/jpg", "image/pjpeg": return "jpg"
        case "image/png": return "png"
        case "image/gif": return "gif"
        case "image/bmp": return "bmp"
        case "image/webp": return "webp"
        case "audio/amr", "voice/amr", "audio/amr-nb": return "amr"
        case "audio/mpeg", "audio/mp3", "voice/mp3": return "mp3"
        case "video/mp4", "video/mpeg4": return "mp4"
        default:
            if type.contains("speex") { return "speex" }
            return nil
        }
    }

    /// Media families whose bytes may come without `Content-Disposition: attachment`.
    package static func isMediaType(_ raw: String?) -> Bool {
        guard let type = raw?.lowercased() else { return false }
        return ["image/", "audio/", "voice/", "video/"].contains { type.hasPrefix($0) }
    }
}
