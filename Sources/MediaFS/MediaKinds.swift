import MediaCache

/// The kinds of item, one row each: the directory that shows it, the names it takes there, the endpoint it is
/// fetched from and its source (issue 20, point 3). Adding a kind is one row here, and its source.
enum MediaKinds {
    enum Source: Sendable { case downloader, decodedVoice }

    struct Row: Sendable {
        let kind: CacheKey.Kind
        /// The directory listing and resolving it.
        let directory: UInt64
        /// Whether a name's extension (nil: the bare id) is this kind's in that directory.
        let accepts: @Sendable (String?) -> Bool
        /// Fetched from `GET /cgi-bin/media/get/jssdk` (HD voice) rather than `media/get`.
        let jssdk: Bool
        let source: Source
    }

    /// In lookup order: in a directory, the first row that accepts a name wins.
    static let rows: [Row] = [
        Row(kind: .media, directory: Inode.media, accepts: { _ in true }, jssdk: false, source: .downloader),
        Row(kind: .hdWAV, directory: Inode.hd, accepts: { $0 == "wav" }, jssdk: false, source: .decodedVoice),
        Row(kind: .hd, directory: Inode.hd, accepts: { _ in true }, jssdk: true, source: .downloader),
    ]

    /// The kind `name` stands for in `directory`, or nil when the directory holds no items.
    static func kind(in directory: UInt64, extension ext: String?) -> CacheKey.Kind? {
        rows.first { $0.directory == directory && $0.accepts(ext) }?.kind
    }

    /// The kinds `directory` lists.
    static func kinds(in directory: UInt64) -> [CacheKey.Kind] { rows.filter { $0.directory == directory }.map(\.kind) }

    static func holdsItems(_ directory: UInt64) -> Bool { rows.contains { $0.directory == directory } }

    static func row(_ kind: CacheKey.Kind) -> Row { rows.first { $0.kind == kind }! }
}
