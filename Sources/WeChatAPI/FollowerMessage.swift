/// A message a follower sent, as WeChat pushes it (plain-text mode), reduced to what names media: image, voice
/// (with `Format` and `Recognition`), video and shortvideo (with `ThumbMediaId`). Other message types carry no
/// media and are skipped by the parser.
public struct FollowerMessage: Sendable, Equatable, Codable {
    public var msgType: String
    public var mediaID: MediaID
    public var fromUser: String
    public var toUser: String?
    public var createTime: Int64
    public var msgID: String?
    public var format: String?
    public var recognition: String?
    public var picURL: String?
    public var thumbMediaID: MediaID?

    public init(msgType: String, mediaID: MediaID, fromUser: String, toUser: String?, createTime: Int64, msgID: String?,
                format: String?, recognition: String?, picURL: String?, thumbMediaID: MediaID?) {
        self.msgType = msgType
        self.mediaID = mediaID
        self.fromUser = fromUser
        self.toUser = toUser
        self.createTime = createTime
        self.msgID = msgID
        self.format = format
        self.recognition = recognition
        self.picURL = picURL
        self.thumbMediaID = thumbMediaID
    }

    /// The media the message names: its own, and a video's thumb.
    public var media: [(id: MediaID, type: String)] {
        [(mediaID, msgType)] + (thumbMediaID.map { [($0, "thumb")] } ?? [])
    }

    enum CodingKeys: String, CodingKey {
        case msgType, mediaID = "mediaId", fromUser, toUser, createTime, msgID = "msgId", format, recognition, picURL = "picUrl"
        case thumbMediaID = "thumbMediaId"
    }
}

extension FollowerMessage {
    /// An OpenID (`oAbC…`, 28 characters) or an account's original id (`gh_…`): 1 to 64 of `[A-Za-z0-9_-]`.
    public static func isAccountName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy(MediaID.isAllowed)
    }

    /// WeChat's MsgId: a 64-bit number, 1 to 20 decimal digits.
    public static func isMessageID(_ text: String) -> Bool {
        (1...20).contains(text.utf8.count) && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// A voice's Format (`amr`, `speex`): 1 to 16 letters or digits.
    public static func isFormat(_ text: String) -> Bool {
        (1...16).contains(text.utf8.count) && text.utf8.allSatisfy { MediaID.isAllowed($0) && $0 != UInt8(ascii: "_") && $0 != UInt8(ascii: "-") }
    }

    /// Whether every field that names files or counts time is what the parser lets in (`createdWithin` aside):
    /// a line of `messages.jsonl` written by an older version, or by hand, is held to the same rules.
    public var isWellFormed: Bool {
        Self.isAccountName(fromUser) && (toUser.map(Self.isAccountName) ?? true) && (msgID.map(Self.isMessageID) ?? true)
            && (format.map(Self.isFormat) ?? true) && createTime >= FollowerMessageParser.earliestTime
    }
}

extension MediaID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = MediaID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a media id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
