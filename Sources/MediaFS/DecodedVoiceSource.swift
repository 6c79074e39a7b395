import Locking
import Logging
import Synchronization
import MediaCache
import VoiceCodec
import WeChatAPI

/// Where `hd/<id>.wav` comes from: not the network but the item `hd/<id>.speex` (read through the filesystem, so
/// one upstream call serves both names), decoded with libspeex. It answers like a server that honours Range, so
/// the WAV is cached, checked and evicted like any item under its own key.
struct DecodedVoiceSource: MediaDownloading {
    /// The whole speex stream of an id (installed by the filesystem once it exists).
    let speex: SpeexReader
    let logger: Logger

    /// HD voice lasts at most 60 s (~200 KB); a stream far larger is not voice and is not decoded.
    static let largestStream: Int64 = 16 << 20

    func download<Sink: MediaSink>(_ request: MediaRequest, range: ByteRange?, into sink: Sink) async throws -> MediaHead {
        let stream = try await speex.read(request.id)
        let wav: [UInt8]
        do {
            wav = try HDVoice.wav(stream)
        } catch {
            logger.warning("hd/\(request.id).wav cannot be made: \(error); hd/\(request.id).speex still reads as served")
            throw FSError(.io, "hd/\(request.id).wav: \(error)", logged: true)
        }
        let head = MediaHead(totalSize: Int64(wav.count), contentType: "audio/wav", filename: "\(request.id).wav",
                             fileExtension: "wav", rangeSupported: true, videoURL: nil)
        try await sink.begin(head)
        let start = Int(min(range?.offset ?? 0, Int64(wav.count)))
        let end = range?.length.map { min(wav.count, start + Int($0)) } ?? wav.count
        var offset = start
        while offset < end {
            let next = min(end, offset + (64 << 10))
            try await sink.write(Array(wav[offset..<next]))
            offset = next
        }
        return head
    }

    func videoURL(for request: MediaRequest) async throws -> String {
        throw FSError(.invalid, "hd/\(request.id).wav has no video_url")
    }
}

/// The way from the WAV source back to the filesystem's speex items, installed once the filesystem exists.
final class SpeexReader: Sendable {
    /// Boxed for the reason `IdleHook` gives (a bare closure in a Mutex grows a thunk chain on every read).
    private let reader = Mutex<ClosureBox<@Sendable (MediaID) async throws -> [UInt8]>?>(nil)

    func install(_ body: @escaping @Sendable (MediaID) async throws -> [UInt8]) { reader.locked { $0 = ClosureBox(body) } }

    func read(_ id: MediaID) async throws -> [UInt8] {
        guard let body = reader.locked({ $0 })?.body else { throw FSError(.io, "no filesystem to read hd/\(id).speex from") }
        return try await body(id)
    }
}
