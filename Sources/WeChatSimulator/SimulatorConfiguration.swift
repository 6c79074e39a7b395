/// Everything the simulator can be told at start. Most knobs can also be changed while it runs, through
/// ``SimulatorState`` or the `/__sim/config` control route.
public struct SimulatorConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 0
    public var appID: String = "wx5e1a0c0ffee00001"
    public var appSecret: String = "wxmediafs-simulator-secret"
    /// nil = the bundled fixtures; else DIR/<image|voice|video|thumb|hd>/<id>.<ext>
    public var mediaDirectory: String? = nil
    /// Large items whose bytes are produced on the fly, e.g. parsed from "--generate video:512M".
    public var generated: [GeneratedItem] = []
    /// Honour `Range` on media/get, media/get/jssdk and the video CDN.
    public var rangeSupport: Bool = true
    /// false = chunked transfer encoding, no Content-Length.
    public var contentLength: Bool = true
    /// false = HEAD answers 405.
    public var headSupport: Bool = true
    /// Added before each answer (control routes excepted).
    public var latency: Duration = .zero
    /// Bytes per second cap per response body; nil = unlimited.
    public var bandwidth: Int? = nil
    /// Seconds a newly issued token lives.
    public var tokenTTL: Int = 7200
    /// true = media/get returns the video bytes directly instead of {"video_url":…}.
    public var videoDirect: Bool = false
    /// Seconds a video_url stays valid (its `e=`); afterwards the CDN answers 403. ≤ 0 issues expired URLs.
    public var videoURLTTL: Int = 3600
    /// Most bytes a 206 answer carries, whatever range was asked (the Content-Range tells the shorter range);
    /// nil = no cap.
    public var rangeCap: Int? = nil
    /// true = 206 answers say `Content-Range: bytes a-b/*` (total withheld).
    public var unknownTotal: Bool = false
    /// The account's IP whitelist: token requests from any other address get 40164 (nil: any address).
    public var ipWhitelist: [String]? = nil
    /// Calls a day to each of media/get, media/get/jssdk and media/upload before 45009 (the API doc: about
    /// 200,000 for media/get on a normal account). Days are China days (00:00 UTC+8).
    public var dailyLimit: Int = 200_000

    public init() {}
}

/// The kinds of temporary media. `hd` is the speex voice served by media/get/jssdk.
public enum MediaKind: String, Sendable, CaseIterable, Codable {
    case image, voice, video, thumb, hd

    /// The extension used for generated items and fixtures of this kind.
    var defaultExtension: String {
        switch self {
        case .image, .thumb: "jpg"
        case .voice: "amr"
        case .video: "mp4"
        case .hd: "speex"
        }
    }

    /// Extensions media/upload accepts for this type (40005 otherwise). `hd` cannot be uploaded.
    var uploadExtensions: Set<String> {
        switch self {
        case .image: ["jpg", "jpeg", "png", "gif"]
        case .voice: ["amr", "mp3"]
        case .video: ["mp4"]
        case .thumb: ["jpg"]
        case .hd: []
        }
    }

    /// Largest upload accepted for this type (40006 beyond).
    var uploadLimit: Int {
        switch self {
        case .image, .video: 10 * 1024 * 1024
        case .voice: 2 * 1024 * 1024
        case .thumb: 64 * 1024
        case .hd: 0
        }
    }

    /// The Content-Type the real server sends for a file of this kind and extension.
    func contentType(forExtension ext: String) -> String {
        switch ext.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "gif": "image/gif"
        case "amr": "audio/amr"
        case "mp3": "audio/mpeg"
        case "mp4": "video/mp4"
        case "speex": "voice/speex"
        default: "application/octet-stream"
        }
    }
}
