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

    /// The media the message names: its own, and a video's thumb.
    public var media: [(id: MediaID, type: String)] {
        [(mediaID, msgType)] + (thumbMediaID.map { [($0, "thumb")] } ?? [])
    }

    enum CodingKeys: String, CodingKey {
        case msgType, mediaID = "mediaId", fromUser, toUser, createTime, msgID = "msgId", format, recognition, picURL = "picUrl"
        case thumbMediaID = "thumbMediaId"
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
