import Foundation
import Testing
import Scratch

/// `hd/<id>.wav` on a real mount: what ffprobe and ffmpeg make of it, one upstream call for both names, and a
/// corrupt stream giving EIO on the .wav while the .speex still reads as served.
@Suite struct HDVoiceWAVTests {
    /// Packets in a length-byte speex stream, counted here from the bytes (one 20 ms frame each in the fixtures).
    static func packets(_ stream: Data) -> Int {
        var offset = 0, count = 0
        while offset < stream.count { offset += 1 + Int(stream[offset]); count += 1 }
        return count
    }

    @Test func ffprobeAndFFmpegReadTheWAV() async throws {
        let sim = try SimProcess()
        let item = try #require(try await sim.items().first { $0.kind == "hd" })
        let packets = Self.packets(try Data(contentsOf: URL(fileURLWithPath: "\(Harness.fixtures)/hd/\(item.id).speex")))
        let cache = Scratch.directory("wav-cache")
        let mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        try await sim.resetCounters()
        let wav = mount.path("hd/\(item.id).wav")
        var info = stat()
        #expect(stat(wav, &info) == 0 && Int(info.st_size) == 44 + packets * 320 * 2, "the size is exact at lookup")
        // The RIFF header's own sizes (the RIFF spec, from the file's length, not from the code under test):
        // bytes 4..<8 are the file size − 8, bytes 40..<44 the data size, the file size − 44 (ffprobe accepts either off).
        let header = try #require(FileHandle(forReadingAtPath: wav)?.readData(ofLength: 44))
        func le32(_ at: Int) -> Int { header[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | Int($1) } }
        #expect(String(decoding: header[0..<4], as: UTF8.self) == "RIFF" && String(decoding: header[36..<40], as: UTF8.self) == "data")
        #expect(le32(4) == Int(info.st_size) - 8, "RIFF size \(le32(4)) for a file of \(info.st_size)")
        #expect(le32(40) == Int(info.st_size) - 44, "data size \(le32(40)) for a file of \(info.st_size)")
        let probe = await Harness.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels:format=duration",
                                       "-of", "default=noprint_wrappers=1", wav])
        #expect(probe.output.contains("codec_name=pcm_s16le") && probe.output.contains("sample_rate=16000") && probe.output.contains("channels=1"), "\(probe.output)\(probe.error)")
        let duration = probe.output.split(separator: "\n").first { $0.hasPrefix("duration=") }.flatMap { Double($0.dropFirst(9)) }
        #expect(abs((duration ?? 0) - Double(packets) * 0.02) < 0.001, "\(probe.output)")
        let converted = Scratch.directory("wav") + "/voice.flac"
        #expect(await Harness.run(["ffmpeg", "-v", "error", "-nostdin", "-i", wav, converted]).status == 0)
        #expect((try? FileManager.default.attributesOfItem(atPath: converted)[.size] as? Int).map { $0 > 1000 } == true)
        #expect(await mount.sha256("hd/\(item.id).speex") == (try await sim.expectedSHA(item)), "the speex is served as it is")
        #expect(try await sim.calls("media/get/jssdk") == 1, "one upstream call serves both names")
        // The same WAV without a mount: `get --wav` (the cache bypassed), compared byte for byte with cmp.
        let got = Scratch.directory("get-wav") + "/voice.wav"
        let get = await Harness.run([Harness.binary, "get", "--wav", item.id, "-o", got, "--no-cache", "--api-base", sim.baseURL,
                                     "--appid", SimProcess.appID], environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(get.status == 0, "\(get.error)")
        #expect(await Harness.run(["cmp", got, wav]).status == 0)
        let listing = try FileManager.default.contentsOfDirectory(atPath: mount.path("hd"))
        #expect(listing.contains("\(item.id).wav") && listing.contains("\(item.id).speex"))

        // Cached like any item: a remount on the same cache serves the same WAV with no upstream call.
        let first = await mount.sha256("hd/\(item.id).wav")
        #expect(mount.unmount())
        try await sim.resetCounters()
        let again = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { again.unmount() }
        #expect(await again.sha256("hd/\(item.id).wav") == first)
        #expect(try await sim.calls("media/get/jssdk") == 0)
        #expect(CachedItemFile(cache: cache, kind: "hdwav", id: item.id).hasMeta, "its own key in the cache")
    }

    @Test func aTruncatedStreamIsEIOOnTheWAVOnly() async throws {
        let media = Scratch.directory("bad-voice")
        let id = "Truncated_voice_0000000000000000000000000000000000000000000000001"
        let fixture = try FileManager.default.contentsOfDirectory(atPath: "\(Harness.fixtures)/hd").first { $0.hasSuffix(".speex") }
        let stream = try Data(contentsOf: URL(fileURLWithPath: "\(Harness.fixtures)/hd/\(try #require(fixture))"))
        let cut = stream.prefix(1 + Int(stream[0]) + 30)  // the second packet ends early
        try FileManager.default.createDirectory(atPath: media + "/hd", withIntermediateDirectories: true)
        try cut.write(to: URL(fileURLWithPath: "\(media)/hd/\(id).speex"))
        let sim = try SimProcess(["--media", media])
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let read = await Harness.run(["cat", mount.path("hd/\(id).wav")])
        #expect(read.status != 0 && read.error.contains("Input/output error"), "\(read.error)")
        #expect(await Harness.run(["cmp", mount.path("hd/\(id).speex"), "\(media)/hd/\(id).speex"]).status == 0, "the .speex reads as served")
        #expect(await Harness.waitFor(timeout: 5) { mount.child.stderrText.contains("speex packet 1 at byte") }, "one line naming the packet")
    }
}
