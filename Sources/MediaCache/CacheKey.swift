/// Which item a cache entry belongs to: the endpoint family and the media id (already validated upstream:
/// `[A-Za-z0-9_-]{1,128}`, so it is a safe file name).
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case media
        case hd
        /// HD voice decoded to WAV (`hd/<id>.wav`): made from the `hd` item, cached under its own key.
        case hdWAV = "hdwav"
    }

    public let kind: Kind
    public let id: String

    public init(kind: Kind, id: String) {
        precondition(!id.isEmpty && id.utf8.count <= 128 && !id.contains("/") && !id.hasPrefix("."), "unsafe cache id")
        self.kind = kind
        self.id = id
    }

    /// A key for a name found on disk, or nil when the name is not a media id (then the entry is not ours).
    init?(kind: Kind, fileName: String) {
        guard Self.isMediaID(fileName) else { return nil }
        self.init(kind: kind, id: fileName)
    }

    /// `[A-Za-z0-9_-]{1,128}`.
    public static func isMediaID(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...128).contains(bytes.count) && bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }

    public var description: String { "\(kind.rawValue)/\(id)" }
}
