/// Which item a cache entry belongs to: the endpoint family and the media id (already validated upstream:
/// `[A-Za-z0-9_-]{1,128}`, so it is a safe file name).
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case media
        case hd
    }

    public let kind: Kind
    public let id: String

    public init(kind: Kind, id: String) {
        precondition(!id.isEmpty && id.utf8.count <= 128 && !id.contains("/") && !id.hasPrefix("."), "unsafe cache id")
        self.kind = kind
        self.id = id
    }

    public var description: String { "\(kind.rawValue)/\(id)" }
}

/// What the cache remembers of an item besides its blocks.
public struct CachedItem: Sendable, Codable, Equatable {
    public var format = 1
    public var size: Int64
    public var contentType: String?
    public var filename: String?
    public var fileExtension: String
    public var rangeSupported: Bool
    public var videoURL: String?
    public var fetchedAt: Double
    /// When the server said the id no longer exists (40007 after its 3 days); nil while it is alive.
    public var goneAt: Double?
    public var blockSize: Int

    public init(size: Int64, contentType: String?, filename: String?, fileExtension: String, rangeSupported: Bool,
                videoURL: String?, fetchedAt: Double, blockSize: Int) {
        self.size = size
        self.contentType = contentType
        self.filename = filename
        self.fileExtension = fileExtension
        self.rangeSupported = rangeSupported
        self.videoURL = videoURL
        self.fetchedAt = fetchedAt
        self.blockSize = blockSize
    }

    public func blockCount() -> Int { Int((size + Int64(blockSize) - 1) / Int64(blockSize)) }
    public func blockLength(_ index: Int) -> Int { Int(min(Int64(blockSize), size - Int64(index) * Int64(blockSize))) }
}
