import Foundation
import Testing
import Scratch

/// ffprobe of a large MP4 whose moov is at the end reads its head and tail only, not the video.
@Suite(.serialized) struct ProbeTests {
    @Test func ffprobeOfALargeVideoFetchesUnderFivePercent() async throws {
        try requireFUSE()
        let video = try await ProbeVideo.make("probe-media", id: "Large_probe_video_" + String(repeating: "v", count: 40))
        let (media, id, size) = (video.media, video.id, video.size)
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
