/// What to download: an id from `media/get` (or `media/get/jssdk` for HD voice), or its known video CDN address.
public struct MediaRequest: Sendable, Hashable {
    public var id: MediaID
    /// `GET /cgi-bin/media/get/jssdk` (HD speex voice) instead of `/cgi-bin/media/get`.
    public var hd: Bool
    /// A `video_url` obtained earlier for this id: read it directly instead of asking media/get again.
    public var videoURL: String?
    /// `videoURL` has just come from media/get: a 404 is then the CDN not being ready yet (waited out for
    /// `RetryPolicy.videoNotReadyWindow`), not an expired address.
    public var videoURLIsFresh: Bool = false
    /// When the answer turns out to be a `video_url` and no range was asked: read only this many first bytes
    /// of the video (a Range request), so a lookup learns the size without pulling the whole video.
    /// A CDN that ignores Range sends everything anyway, and everything is then delivered.
    public var videoProbeLength: Int64?

    public init(id: MediaID, hd: Bool = false, videoURL: String? = nil, videoProbeLength: Int64? = nil) {
        self.id = id
        self.hd = hd
        self.videoURL = videoURL
        self.videoProbeLength = videoProbeLength
    }

    package var endpoint: String { hd ? "media/get/jssdk" : "media/get" }
}

/// A byte range of an item: `length` nil means "to the end".
extension MediaRequest {
    /// How long after media/get gave it a video_url counts as fresh (its 404s waited out, not taken as expiry).
    public static let freshURLWindow: Double = 15
}

public struct ByteRange: Sendable, Hashable {
    public var offset: Int64
    public var length: Int64?

    public init(offset: Int64, length: Int64? = nil) {
        self.offset = offset
        self.length = length
    }
}

/// What the answer said about the item, known before its first byte is delivered.
public struct MediaHead: Sendable, Hashable {
    /// The size of the whole item when the server said it (Content-Length of a full answer, total of Content-Range).
    public var totalSize: Int64?
    public var contentType: String?
    public var filename: String?
    /// The real extension: from the content type, else from the filename, else `bin`.
    public var fileExtension: String
    /// The server answered a Range request with 206 (false when it ignored Range or none was asked).
    public var rangeSupported: Bool
    /// Set when the item came through `{"video_url": …}`.
    public var videoURL: String?

    public init(totalSize: Int64?, contentType: String?, filename: String?, fileExtension: String, rangeSupported: Bool, videoURL: String?) {
        self.totalSize = totalSize
        self.contentType = contentType
        self.filename = filename
        self.fileExtension = fileExtension
        self.rangeSupported = rangeSupported
        self.videoURL = videoURL
    }
}

/// Receives a download: `begin` once with the head, then the bytes in order.
public protocol MediaSink {
    func begin(_ head: MediaHead) async throws
    func write(_ bytes: [UInt8]) async throws
}

/// The download side of the API as the filesystem sees it (real client, in-memory fake, fault injector).
public protocol MediaDownloading: Sendable {
    /// Streams `range` of the item (all of it when nil) into `sink`, retrying and resuming as needed,
    /// and returns the head. Throws `WeChatError` (`.expiredURL` when `request.videoURL` no longer serves).
    func download<Sink: MediaSink>(_ request: MediaRequest, range: ByteRange?, into sink: Sink) async throws -> MediaHead

    /// One media/get call for a video's fresh `video_url` (its bytes are not fetched).
    func videoURL(for request: MediaRequest) async throws -> String
}

/// What creates media: `POST /cgi-bin/media/upload` of a local file (MediaClient+Upload.swift).
public protocol MediaUploading: Sendable {
    func upload(file path: String, type: UploadType, filename: String?,
                progress: (@Sendable (Int64, Int64) -> Void)?) async throws -> UploadResult
}

/// What `media/upload` answered: the new media id, its type and creation time.
public struct UploadResult: Sendable, Equatable {
    public var type: String
    public var mediaID: MediaID
    public var createdAt: Int64?

    public init(type: String, mediaID: MediaID, createdAt: Int64?) {
        self.type = type
        self.mediaID = mediaID
        self.createdAt = createdAt
    }
}
