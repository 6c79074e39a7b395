import Foundation
import Testing
import Scratch

/// `wxmediafs ingest` as an admin runs it: files or stdin in, one line per media out; hostile input refused
/// with one line and exit 22, a 100 MB file never read.
@Suite struct IngestTests {
    static let messages = """
        <xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oFollowerA]]></FromUserName>
        <CreateTime>1764400000</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[Voice_id_1]]></MediaId>
        <Format><![CDATA[amr]]></Format><Recognition><![CDATA[你好]]></Recognition><MsgId>11</MsgId></xml>
        <xml><FromUserName>oFollowerB</FromUserName><CreateTime>1764400060</CreateTime><MsgType>video</MsgType>
        <MediaId>Video_id_1</MediaId><ThumbMediaId>Thumb_id_1</ThumbMediaId><MsgId>12</MsgId></xml>
        """

    @Test func filesAndStandardInput() async throws {
        let file = Scratch.directory("ingest") + "/pushes.xml"
        try Self.messages.write(toFile: file, atomically: true, encoding: .utf8)
        let lines = await Harness.run([Harness.binary, "ingest", file])
        #expect(lines.status == 0, "\(lines.error)")
        #expect(lines.output == "Voice_id_1 voice oFollowerA 1764400000\nVideo_id_1 video oFollowerB 1764400060\nThumb_id_1 thumb oFollowerB 1764400060\n")
        let json = await Harness.run(["sh", "-c", "'\(Harness.binary)' ingest --json < '\(file)'"])
        let objects = json.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 2)
        #expect(objects.first?["recognition"] as? String == "你好" && objects.first?["format"] as? String == "amr")
        #expect(objects.last?["thumbMediaId"] as? String == "Thumb_id_1")
    }

    @Test func hostileInputIsOneLineAndExit22() async throws {
        let directory = Scratch.directory("ingest-hostile")
        let laughs = directory + "/laughs.xml"
        try "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><xml><MediaId>&b;</MediaId></xml>"
            .write(toFile: laughs, atomically: true, encoding: .utf8)
        let huge = directory + "/huge.xml"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try handle.truncate(atOffset: 100 << 20)  // 100 MB (sparse): refused by its size, never read
        try handle.close()
        for (file, says) in [(laughs, "DTD"), (huge, "over 4 MiB")] {
            let result = await Harness.run([Harness.binary, "ingest", file], timeout: 20)
            #expect(result.status == 22, "\(file): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1 && result.error.contains(says), "\(result.error)")
            #expect(result.output.isEmpty)
        }
    }

    /// `ingest --cache-dir` on a mount's cache: the ids appear in media/ before any download, and inbox/ links by
    /// China day and sender read the media; a message past the 3-day life whose media is not cached is not shown.
    @Test func recordedMessagesAppearInTheMount() async throws {
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let cache = Scratch.directory("ingest-cache")
        let mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        try await sim.resetCounters()
        let now = Int(Date().timeIntervalSince1970) - 3600, old = now - 3 * 86_400  // an hour ago; four days ago
        let xml = """
            <xml><FromUserName>oSenderA</FromUserName><CreateTime>\(now)</CreateTime><MsgType>image</MsgType><MediaId>\(image.id)</MediaId><MsgId>777</MsgId></xml>
            <xml><FromUserName>oSenderB</FromUserName><CreateTime>\(old)</CreateTime><MsgType>voice</MsgType><MediaId>Old_voice_1</MediaId><MsgId>5</MsgId></xml>
            """
        let file = Scratch.directory("ingest-xml") + "/push.xml"
        try xml.write(toFile: file, atomically: true, encoding: .utf8)
        let ingest = await Harness.run([Harness.binary, "ingest", "--cache-dir", cache, file])
        #expect(ingest.status == 0, "\(ingest.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.path("media")).contains("\(image.id).jpg"))
        #expect(try await sim.calls("media/get") == 0, "listed before any download")
        // The day as WeChat counts it (UTC+8), computed here from the clock.
        let china = DateFormatter()
        china.dateFormat = "yyyy-MM-dd"
        china.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        let day = china.string(from: Date(timeIntervalSince1970: TimeInterval(now)))
        let link = mount.path("inbox/\(day)/oSenderA/777.jpg")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "../../../media/\(image.id)")
        #expect(await Harness.sha256(link) == (try await sim.expectedSHA(image)))
        let days = try FileManager.default.contentsOfDirectory(atPath: mount.path("inbox"))
        #expect(days == [day], "the 4-day-old message is not shown: \(days)")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: mount.path("media"))).contains("Old_voice_1.amr"))
        // ls -l shows the message's CreateTime (an hour ago) as the media's mtime and the link's, not the download time.
        let times = await mount.run(["stat", "-c", "%Y", mount.path("media/\(image.id).jpg"), "-L", link])
        #expect(times.output == "\(now)\n\(now)\n", "\(times.output) \(times.error)")
        let linkTime = await mount.run(["stat", "-c", "%Y", link])
        #expect(linkTime.output == "\(now)\n")
    }

    /// Issue 19, point 8: an item's mtime is fixed when it is first fetched; a message recorded afterwards (an
    /// `ingest` of older pushes) does not move it, so backup tools do not copy it again.
    @Test func anItemsMtimeDoesNotMoveWhenAMessageComesLater() async throws {
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let cache = Scratch.directory("ingest-late-cache")
        let first = try MountProcess(sim: sim, cacheDirectory: cache)
        #expect(await first.sha256("media/\(image.id).jpg") == (try await sim.expectedSHA(image)))
        let before = await first.run(["stat", "-c", "%Y", first.path("media/\(image.id).jpg")])
        #expect(first.unmount())
        let earlier = Int(Date().timeIntervalSince1970) - 7200
        let file = Scratch.directory("ingest-late-xml") + "/push.xml"
        try """
            <xml><FromUserName>oLate</FromUserName><CreateTime>\(earlier)</CreateTime><MsgType>image</MsgType><MediaId>\(image.id)</MediaId><MsgId>778</MsgId></xml>
            """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(await Harness.run([Harness.binary, "ingest", "--cache-dir", cache, file]).status == 0)
        // A new mount on the same cache (the kernel keeps no attribute of the old one): the message is there,
        // the mtime is the one the first fetch fixed.
        let mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.path("inbox")).count == 1, "the message is recorded")
        let after = await mount.run(["stat", "-c", "%Y", mount.path("media/\(image.id).jpg")])
        #expect(!before.output.isEmpty && after.output == before.output, "mtime \(before.output) became \(after.output)")
        #expect(after.output != "\(earlier)\n")
    }
}
