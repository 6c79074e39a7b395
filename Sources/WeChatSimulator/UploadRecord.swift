/// What `GET /__sim/last-upload` tells about the part `media` of the last upload:
/// `{"bytes":N,"contentType":"image/png","filename":"a.png"}`; a missing header or filename is `null`.
public struct UploadRecord: Sendable, Codable, Equatable {
    /// The part's own Content-Type header (not the request's multipart one), as sent.
    public var contentType: String?
    /// The filename of the part's Content-Disposition, as sent.
    public var filename: String?
    /// The part's body size.
    public var bytes: Int

    public init(contentType: String?, filename: String?, bytes: Int) {
        self.contentType = contentType
        self.filename = filename
        self.bytes = bytes
    }

    enum CodingKeys: String, CodingKey { case contentType, filename, bytes }

    /// Explicit nulls, so the answer always has the same three keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(contentType, forKey: .contentType)
        try container.encode(filename, forKey: .filename)
        try container.encode(bytes, forKey: .bytes)
    }
}
