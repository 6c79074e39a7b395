import Foundation
import Testing
@testable import VoiceCodec

/// The HD fixture is real speech (espeak-ng) encoded with libspeex by scripts/make-fixtures; the speech itself is
/// Tests/Fixtures/hd-source.wav. Speex is lossy: the decoded PCM is compared with the source by correlation, and
/// its length to the frame.
@Suite struct HDVoiceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let frame = 320  // 20 ms at 16 kHz

    static func fixture() throws -> [UInt8] {
        let folder = root.appendingPathComponent("Sources/WeChatSimulator/Fixtures/hd")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasSuffix(".speex") })
        return Array(try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// The samples of a PCM WAVE file, found by walking its chunks (ffmpeg may add a LIST chunk).
    static func samples(ofWAV bytes: [UInt8]) throws -> (rate: Int, channels: Int, samples: [Int16]) {
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        try #require(Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[8..<12]) == Array("WAVE".utf8))
        var at = 12, rate = 0, channels = 0, format = 0
        while at + 8 <= bytes.count {
            let id = String(decoding: bytes[at..<at + 4], as: UTF8.self), size = u32(at + 4)
            if id == "fmt " { (format, channels, rate) = (u16(at + 8), u16(at + 10), u32(at + 12)) }
            if id == "data" {
                try #require(format == 1)
                let body = bytes[(at + 8)..<min(bytes.count, at + 8 + size)]
                let samples = stride(from: body.startIndex, to: body.endIndex - 1, by: 2).map { Int16(bitPattern: UInt16(body[$0]) | UInt16(body[$0 + 1]) << 8) }
                return (rate, channels, samples)
            }
            at += 8 + size + (size & 1)
        }
        throw CancellationError()
    }

    /// Best normalised cross-correlation of `decoded` against `source` over lags 0…`maxLag` (the codec's delay).
    static func correlation(_ source: [Int16], _ decoded: [Int16], maxLag: Int) -> (value: Double, lag: Int) {
        var best = (value: -1.0, lag: 0)
        for lag in 0...maxLag {
            let count = min(source.count, decoded.count - lag)
            var dot = 0.0, a2 = 0.0, b2 = 0.0
            for index in 0..<count {
                let a = Double(source[index]), b = Double(decoded[index + lag])
                dot += a * b; a2 += a * a; b2 += b * b
            }
            let value = dot / max(1, (a2 * b2).squareRoot())
            if value > best.value { best = (value, lag) }
        }
        return best
    }

    @Test func theDecodedSpeechMatchesWhatWasEncoded() throws {
        let stream = try Self.fixture()
        let source = try Self.samples(ofWAV: Array(try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/hd-source.wav"))))
        #expect(source.rate == 16_000 && source.channels == 1)
        let decoded = try HDVoice.decode(stream)
        // One frame per packet in the fixture: its length to the frame, and the source fits in it.
        var packets = 0, offset = 0
        while offset < stream.count { offset += 1 + Int(stream[offset]); packets += 1 }
        #expect(decoded.count == packets * Self.frame)
        #expect(decoded.count >= source.samples.count && decoded.count - source.samples.count < 2 * Self.frame,
                "\(decoded.count) samples decoded for \(source.samples.count) encoded")
        let match = Self.correlation(source.samples, decoded, maxLag: 2 * Self.frame)
        print("[voice] correlation \(match.value) at a delay of \(match.lag) samples")
        #expect(match.value > 0.8, "speech, not noise or silence")
    }

    /// The WAV read by another decoder (ffmpeg, to raw 16 kHz mono PCM), not by this module: the speech of the
    /// source, every frame of the stream, and the RIFF sizes the spec gives for the file's length.
    @Test func theWAVFileIsWhatItSays() throws {
        let stream = try Self.fixture()
        let wav = try HDVoice.wav(stream)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wxmediafs-wav-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("voice.wav"), output = folder.appendingPathComponent("voice.raw")
        try Data(wav).write(to: input)
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = ["-v", "error", "-nostdin", "-y", "-i", input.path, "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", "16000", output.path]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        try #require(ffmpeg.terminationStatus == 0, "ffmpeg could not read the WAV")
        let raw = Array(try Data(contentsOf: output))
        let pcm = stride(from: 0, to: raw.count - 1, by: 2).map { Int16(bitPattern: UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8) }
        var packets = 0, offset = 0
        while offset < stream.count { offset += 1 + Int(stream[offset]); packets += 1 }
        #expect(pcm.count == packets * Self.frame, "every frame, as ffmpeg reads it")
        let source = try Self.samples(ofWAV: Array(try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/hd-source.wav"))))
        let match = Self.correlation(source.samples, pcm, maxLag: 2 * Self.frame)
        #expect(match.value > 0.8, "the source's speech, read back by ffmpeg (correlation \(match.value))")
        func le32(_ at: Int) -> Int { Int(wav[at]) | Int(wav[at + 1]) << 8 | Int(wav[at + 2]) << 16 | Int(wav[at + 3]) << 24 }
        #expect(le32(4) == wav.count - 8 && le32(40) == wav.count - 44, "RIFF and data sizes")
    }

    @Test func badStreamsNameTheirPacket() throws {
        let stream = try Self.fixture()
        let packet = 1 + Int(stream[0])
        #expect(throws: HDVoice.DecodeError(packet: 1, offset: packet, reason: "length byte 0")) {
            try HDVoice.decode(Array(stream[0..<packet]) + [0] + Array(stream[packet...]))
        }
        let truncated = Array(stream[0..<(packet + 10)])
        #expect(throws: HDVoice.DecodeError.self) { try HDVoice.decode(truncated) }
        do {
            _ = try HDVoice.decode(truncated)
        } catch {
            #expect(error.packet == 1 && error.reason.contains("runs past the end"))
        }
        #expect(throws: HDVoice.DecodeError.self) { try HDVoice.decode([]) }
    }
}
