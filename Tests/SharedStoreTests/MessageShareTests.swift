import Foundation
import Logging
import SharedStore
import Testing
import WeChatAPI

/// The fleet's follower messages on a real store (SeaweedFS), what landed checked with boto3.
@Suite(.serialized) struct MessageShareTests {
    let store: Seaweed.Store
    init() throws { store = try Seaweed.store.get() }

    static func message(_ id: String, media: String, at time: Int64) -> FollowerMessage {
        FollowerMessage(msgType: "image", mediaID: MediaID(media)!, fromUser: "oSender", toUser: nil, createTime: time, msgID: id,
                        format: nil, recognition: nil, picURL: nil, thumbMediaID: nil)
    }

    @Test func localMessagesAreWrittenAndTheStoresRecordedExceptHostileOnes() async throws {
        let bucket = try store.bucket("messages")
        let now = Int64(Date().timeIntervalSince1970) - 60
        let good = try JSONEncoder().encode(Self.message("1001", media: "MEDIA_from_b", at: now))
        let renamed = try JSONEncoder().encode(Self.message("9999", media: "MEDIA_renamed", at: now))
        let objects: [(String, [UInt8])] = [
            ("1001", Array(good)), ("2002", Array("not json".utf8)), ("3003", Array(renamed)), ("4004", [UInt8](repeating: 0x20, count: 100_000)),
            ("5005", Array(#"{"msgType":"image","mediaID":"../../etc","fromUser":"o","createTime":1}"#.utf8)),
        ]
        for (name, body) in objects { _ = try store.check("put", bucket, "wx/messages/wxapp/\(name).json", try S3ClientTests.file(body)) }
        let share = MessageShare(client: try store.client(bucket: bucket), appID: "wxapp", logger: Logger(label: "test"))
        let local = [Self.message("6006", media: "MEDIA_from_a", at: now)]
        var recorded: [FollowerMessage] = []
        let round = await share.sync(local: local) { recorded += $0; return $0.count }
        #expect(round.written == 1 && round.recorded == 1)
        #expect(recorded.map(\.msgID) == ["1001"] && recorded.first?.mediaID.rawValue == "MEDIA_from_b")
        let landed = try store.check("body", bucket, "wx/messages/wxapp/6006.json")  // boto3's read of the object
        #expect(try JSONDecoder().decode(FollowerMessage.self, from: Data(landed.utf8)) == local[0])
        // The next round fetches nothing again (hostile objects included) and writes nothing again.
        let again = await share.sync(local: local + recorded) { recorded += $0; return $0.count }
        #expect(again.written == 0 && again.recorded == 0 && recorded.count == 1)
    }
}
