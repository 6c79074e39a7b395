/// What the cache remembers of an item besides its blocks (the `meta` file, JSON).
public struct CachedItem: Sendable, Codable, Equatable {
    /// WeChat deletes temporary media 3 days after their upload.
    public static let mediaLife: Double = 259_200

    public var format = 1
    public var size: Int64
    public var contentType: String?
    public var filename: String?
    public var fileExtension: String
    public var rangeSupported: Bool
    public var videoURL: String?
    /// Wall-clock seconds of the first fetch: the item was created then or earlier (a lower bound of its age).
    public var fetchedAt: Double
    public var blockSize: Int
    /// When the server said the id no longer exists (metas written before this field decode it as nil).
    public var goneAt: Double?
    /// When the item was created, as far as known when it was first fetched (a follower message's CreateTime, an
    /// upload's created_at), if earlier than `fetchedAt`; fixed then, so its mtime never moves afterwards.
    public var createdAt: Double?

    /// The item's modification time for `stat`: its creation time as known at its first fetch.
    public var modified: Double { createdAt.map { min($0, fetchedAt) } ?? fetchedAt }

    public init(size: Int64, contentType: String?, filename: String?, fileExtension: String, rangeSupported: Bool,
                videoURL: String?, fetchedAt: Double, blockSize: Int, goneAt: Double? = nil, createdAt: Double? = nil) {
        self.createdAt = createdAt
        self.size = size
        self.contentType = contentType
        self.filename = filename
        self.fileExtension = fileExtension
        self.rangeSupported = rangeSupported
        self.videoURL = videoURL
        self.fetchedAt = fetchedAt
        self.blockSize = blockSize
        self.goneAt = goneAt
    }

    public func blockCount() -> Int { Int((size + Int64(blockSize) - 1) / Int64(blockSize)) }
    public func blockLength(_ index: Int) -> Int { Int(min(Int64(blockSize), size - Int64(index) * Int64(blockSize))) }

    /// Older than `life` at `now`: the server has certainly deleted it.
    func isExpired(now: Double, life: Double) -> Bool { now - fetchedAt >= life }
}
