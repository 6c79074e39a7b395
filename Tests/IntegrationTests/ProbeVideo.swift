import Foundation
import Scratch
import Testing

/// A large MP4 whose moov is at the end, made by ffmpeg in a simulator media folder (`<folder>/video/<id>.mp4`):
/// 120 s of 720p MPEG-4 at high quality, ~160 MB (ffmpeg's default without faststart puts the moov last).
struct ProbeVideo {
    let media: String
    let id: String
    let file: String
    let size: Int64

    static func make(_ name: String, id: String) async throws -> ProbeVideo {
        let media = Scratch.directory(name)
        try FileManager.default.createDirectory(atPath: media + "/video", withIntermediateDirectories: true)
        let file = "\(media)/video/\(id).mp4"
        let made = await Harness.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-t", "120",
                                      "-c:v", "mpeg4", "-q:v", "1", file], timeout: 240)
        try #require(made.status == 0, "\(made.error)")
        let size = try #require((try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value)
        return ProbeVideo(media: media, id: id, file: file, size: size)
    }
}
