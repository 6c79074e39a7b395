import Foundation
import Testing
import Scratch

/// ffprobe of a large MP4 whose moov is at the end reads its head and tail only, not the video.
@Suite(.serialized) struct ProbeTests {
    @Test func ffprobeOfALargeVideoFetchesUnderFivePercent() async throws {
        try requireFUSE()
        let media = Scratch.directory("probe-media")
        try FileManager.default.createDirectory(atPath: media + "/video", withIntermediateDirectories: true)
        let id = "Large_probe_video_" + String(repeating: "v", count: 40)
        let file = "\(media)/video/\(id).mp4"
        // 120 s of 720p MPEG-4 at high quality: ~160 MB, moov at the end (ffmpeg's default without faststart).
        let made = await Harness.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-t", "120",
                                      "-c:v", "mpeg4", "-q:v", "1", file], timeout: 240)
        try #require(made.status == 0, "\(made.error)")
        let size = try #require((try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value)
        let sim = try SimProcess(["--media", media])
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let probe = await mount.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", mount.path("media/\(id).mp4")])
        #expect(probe.status == 0, "\(probe.error)")
        #expect(probe.output.hasPrefix("120."), "ffprobe read the duration from the moov at the end: \(probe.output)")
        let fetched = try await sim.bytes("cdn")
        print("[integration] ffprobe of a \(size) B MP4 (moov at the end): fetched \(fetched) B (\(String(format: "%.2f", 100 * Double(fetched) / Double(size)))%)")
        #expect(Double(fetched) < 0.05 * Double(size))
    }
}
