import Locking
import Foundation
import Synchronization
import WeChatAPI

/// An in-memory `MediaDownloading`: items by id, optional Range support, optional video_url, a delay to
/// line up concurrent readers, and counters of calls and bytes.
final class FakeDownloader: MediaDownloading {
    struct Item: Sendable {
        var bytes: [UInt8]
        var contentType: String
        var video = false
        var lengthKnown = true
        /// A hostile server: announce the full size, then end the body cleanly after this many bytes.
        var silentlyShortAt: Int?
    }

    let items: [String: Item]
    let rangeSupport: Bool
    let delay: UInt64
    let failure: WeChatError?
    private let counters = Mutex((calls: 0, bytes: 0))

    init(items: [String: Item], rangeSupport: Bool = false, delayNanoseconds: UInt64 = 0, failure: WeChatError? = nil) {
        self.items = items
        self.rangeSupport = rangeSupport
        self.delay = delayNanoseconds
        self.failure = failure
    }

    var calls: Int { counters.locked { $0.calls } }
    var bytesSent: Int { counters.locked { $0.bytes } }

    func videoURL(for request: MediaRequest) async throws -> String {
        counters.locked { $0.calls += 1 }
        guard let item = items[request.id.rawValue], item.video else {
            throw WeChatError(.api(errcode: 40007), "invalid media_id rid: fake-2", rid: "fake-2")
        }
        return "http://cdn.invalid/\(request.id)"
    }

    func download<Sink: MediaSink>(_ request: MediaRequest, range: ByteRange?, into sink: Sink) async throws -> MediaHead {
        counters.locked { $0.calls += 1 }
        if delay > 0 { try await Task.sleep(nanoseconds: delay) }
        if let failure { throw failure }
        guard let item = items[request.id.rawValue] else {
            throw WeChatError(.api(errcode: 40007), "invalid media_id rid: fake-1", rid: "fake-1")
        }
        var range = range
        let ranged = item.video && rangeSupport
        if range == nil, item.video, ranged, let probe = request.videoProbeLength { range = ByteRange(offset: 0, length: probe) }
        let start = Int(range?.offset ?? 0)
        let end = min(item.silentlyShortAt ?? item.bytes.count, item.bytes.count, range?.length.map { start + Int($0) } ?? item.bytes.count)
        let head = MediaHead(
            totalSize: item.lengthKnown ? Int64(item.bytes.count) : nil, contentType: item.contentType, filename: nil,
            fileExtension: MediaExtension.from(contentType: item.contentType, filename: nil),
            rangeSupported: ranged, videoURL: item.video ? "http://cdn.invalid/\(request.id)" : nil
        )
        try await sink.begin(head)
        var position = start
        while position < end {
            let next = min(end, position + 3000)  // odd chunking, across block edges
            try await sink.write(Array(item.bytes[position..<next]))
            counters.locked { $0.bytes += next - position }
            position = next
        }
        return head
    }
}
