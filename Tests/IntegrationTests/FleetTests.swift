import Foundation
import Scratch
import Testing

/// Several hosts on one shared store (issue #22): mounts with their own cache directories over SeaweedFS (started by
/// scripts/seaweedfs, killed when this process ends), what landed checked with boto3 (Tests/SharedStoreTests/s3check.py).
@Suite(.serialized) struct FleetTests {
    struct Store {
        let endpoint: String
        let credentialsFile: String
        let bucket: String

        var flags: [String] {
            ["--shared-cache", "s3://\(bucket)/fleet", "--s3-endpoint", endpoint, "--s3-path-style", "true", "--s3-credentials-file", credentialsFile]
        }

        func check(_ arguments: String...) async throws -> String {
            let python = repository + "/.tools/venv/bin/python"
            let result = await Harness.run([python, repository + "/Tests/SharedStoreTests/s3check.py", endpoint, credentialsFile] + arguments)
            guard result.status == 0 else { throw HarnessError("s3check: \(result.error)") }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// A store of its own for each test, with its bucket.
    static func store() async throws -> Store {
        let directory = Scratch.directory("seaweedfs")
        let bucket = "fleet"
        let started = await Harness.run([repository + "/scripts/seaweedfs", "start", "--watch", "\(getpid())", directory, bucket], timeout: 300)
        guard started.status == 0 else { throw HarnessError("scripts/seaweedfs: \(started.error)") }
        return Store(endpoint: started.output.trimmingCharacters(in: .whitespacesAndNewlines), credentialsFile: directory + "/credentials", bucket: bucket)
    }

    @Test func aSecondHostReadsWhatTheFirstFetchedWithNoWeChatCall() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let sim = try SimProcess()
        let items = try await sim.items()
        let image = try #require(items.first { $0.kind == "image" })
        let expected = try await sim.expectedSHA(image)
        let a = try MountProcess(sim: sim, extra: store.flags)
        defer { a.unmount() }
        try await sim.resetCounters()
        #expect(await a.sha256(image.path) == expected)
        #expect(try await sim.calls("media/get") == 1)
        let object = "fleet/items/\(SimProcess.appID)/\(image.id)"
        let landed = try await Harness.waitFor(timeout: 20) { try await store.check("exists", store.bucket, object) == "yes" }
        #expect(landed, "host A's item reached the store: \(a.child.stderrText.suffix(400))")
        let fixture = "\(Harness.fixtures)/\(image.kind)/\(image.id).\(image.ext)"
        if FileManager.default.fileExists(atPath: fixture) {
            #expect(try await store.check("same", store.bucket, object, fixture) == "same", "the object is the fixture's bytes")
        }

        let b = try MountProcess(sim: sim, extra: store.flags)
        defer { b.unmount() }
        // Host B lists it before reading it: media/ shows what the fleet holds.
        let name = (image.path as NSString).lastPathComponent
        let listed = await Harness.waitFor(timeout: 20) {
            ((try? FileManager.default.contentsOfDirectory(atPath: b.path("media"))) ?? []).contains(name)
        }
        #expect(listed, "host B lists host A's item")
        #expect(await b.sha256(image.path) == expected)
        #expect(try await sim.calls("media/get") == 1, "host B read it from the store: \(b.child.stderrText.suffix(400))")
        // An id WeChat refuses: the lease host B took for it is let go at once (nobody waits 15 s for it).
        #expect(await b.run(["cat", b.path("media/NoSuchMedia_9.jpg")]).status != 0)
        let released = await Harness.waitFor(timeout: 5) {
            (try? await store.check("exists", store.bucket, "fleet/leases/\(SimProcess.appID)/NoSuchMedia_9")) == "no"
        }
        #expect(released, "the lease of a refused id is not left in the store")
        // Each host's stats say what its tier did: A wrote the object, B read its blocks.
        let sharedA = try #require(try await a.stats()["shared"] as? [String: Any]), sharedB = try #require(try await b.stats()["shared"] as? [String: Any])
        #expect(sharedA["objectsWritten"] as? Int == 1 && sharedB["objectsWritten"] as? Int == 0)
        #expect((sharedB["hits"] as? Int ?? 0) >= 1 && sharedB["bytesRead"] as? Int == Int(image.size))
        let status = await b.run([Harness.binary, "status", b.mountpoint])
        #expect(status.output.contains("shared     1 block read"), "\(status.output)")
    }

    /// ffprobe on host B of a large MP4 (moov at the end) that host A read whole: A wrote it to the store in parts as
    /// it read; B reads a few blocks of it from the store by range, checked, and calls WeChat for nothing.
    @Test func ffprobeThroughTheStoreReadsUnderTwoPercent() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let video = try await ProbeVideo.make("fleet-probe-media", id: "Fleet_probe_video_" + String(repeating: "v", count: 40))
        let (media, id, file, size) = (video.media, video.id, video.file, video.size)
        let sim = try SimProcess(["--media", media])
        let a = try MountProcess(sim: sim, extra: store.flags)
        defer { a.unmount() }
        #expect(await a.run(["cmp", file, a.path("media/\(id).mp4")]).status == 0, "host A reads the video whole")
        let table = "fleet/crcs/\(SimProcess.appID)/\(id)"
        let landed = try await Harness.waitFor(timeout: 90) { try await store.check("exists", store.bucket, table) == "yes" }
        let statsA = (try? await a.stats()["shared"]).map { "\($0)" } ?? "none"
        #expect(landed, "host A wrote it in parts, then its table: \(statsA) \(a.child.stderrText.suffix(400))")
        #expect(try await store.check("same", store.bucket, "fleet/items/\(SimProcess.appID)/\(id)", file) == "same")
        try await sim.resetCounters()
        let b = try MountProcess(sim: sim, extra: store.flags)
        defer { b.unmount() }
        let probe = await b.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", b.path("media/\(id).mp4")])
        #expect(probe.status == 0, "\(probe.error)")
        #expect(probe.output.hasPrefix("120."), "ffprobe read the duration from the moov at the end: \(probe.output)")
        #expect(try await sim.calls("media/get") == 0, "nothing from WeChat")
        #expect(try await sim.bytes("cdn") == 0, "nothing from WeChat's CDN")
        let shared = try #require(try await b.stats()["shared"] as? [String: Any])
        let read = shared["bytesRead"] as? Int ?? -1
        print("[integration] ffprobe through the store of a \(size) B MP4 (moov at the end): \(read) B read from it (\(String(format: "%.2f", 100 * Double(read) / Double(size)))%)")
        #expect(read > 0 && Double(read) <= 0.02 * Double(size))
    }

    /// Four hosts read the same new items at the same moment: each item is fetched from WeChat once for the fleet
    /// (leases), and every host reads the generator's bytes.
    @Test func fourHostsReadingTheSameNewItemsAtOnceCallWeChatOncePerItem() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let sim = try SimProcess(["--generate", "40*image:60K"])
        let items = try await sim.items().filter { $0.kind == "image" && $0.size == 60 << 10 }
        try #require(items.count == 40)
        let hosts = try (0..<4).map { _ in try MountProcess(sim: sim, extra: store.flags) }
        defer { for host in hosts { host.unmount() } }
        try await sim.resetCounters()
        let sums: [[String]] = await withTaskGroup(of: (Int, [String]).self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask {
                    let paths = items.map { host.path($0.path) }
                    let list = Scratch.path("paths.txt")
                    try? paths.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
                    let result = await Harness.run(["xargs", "-a", list, "-d", "\n", "-P", "8", "-n", "1", "sha256sum"], timeout: 120)
                    let byPath = Dictionary(result.output.split(separator: "\n").compactMap { line -> (String, String)? in
                        let parts = line.split(separator: " ", maxSplits: 1)
                        return parts.count == 2 ? (parts[1].trimmingCharacters(in: .whitespaces), String(parts[0])) : nil
                    }, uniquingKeysWith: { first, _ in first })
                    return (index, paths.map { byPath[$0] ?? "missing" })
                }
            }
            var all = Array(repeating: [String](), count: hosts.count)
            for await (index, sums) in group { all[index] = sums }
            return all
        }
        var expected: [String] = []
        for item in items { expected.append(try await sim.expectedSHA(item)) }
        for (index, host) in sums.enumerated() { #expect(host == expected, "host \(index) read the generator's bytes") }
        let calls = try await sim.calls("media/get")
        print("[integration] 4 hosts x \(items.count) new items at once: \(calls) media/get calls")
        #expect(calls == items.count, "one media/get per item for the fleet, not one per host")
    }

    /// An item WeChat has deleted (40007), created 4 days ago, stays readable and listed on a host that never had it.
    @Test func anItemWeChatHasDeletedStaysReadableAndListedFromTheStore() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let expected = try await sim.expectedSHA(image)
        let a = try MountProcess(sim: sim, extra: store.flags)
        defer { a.unmount() }
        #expect(await a.sha256(image.path) == expected)
        let object = "fleet/items/\(SimProcess.appID)/\(image.id)"
        #expect(await Harness.waitFor(timeout: 20) { (try? await store.check("exists", store.bucket, object)) == "yes" })
        _ = try await store.check("age", store.bucket, object, "345600")  // 4 days: past WeChat's 3
        try await sim.post("/__sim/expire-media", #"{"id":"\#(image.id)"}"#)
        try await sim.resetCounters()
        let b = try MountProcess(sim: sim, extra: store.flags)
        defer { b.unmount() }
        let name = (image.path as NSString).lastPathComponent
        let listed = await Harness.waitFor(timeout: 20) { ((try? FileManager.default.contentsOfDirectory(atPath: b.path("media"))) ?? []).contains(name) }
        #expect(listed, "listed on host B though WeChat deleted it")
        #expect(await b.sha256(image.path) == expected, "\(b.child.stderrText.suffix(400))")
        #expect(try await sim.mediaCalls() == 0)
    }

    /// A follower message recorded on host A (`ingest --cache-dir` beside its mount) shows in host B's inbox/ and
    /// media/, and B reads its media through the link; the message object is the one boto3 reads.
    @Test func aMessageRecordedOnOneHostShowsInEveryHostsInbox() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let a = try MountProcess(sim: sim, extra: store.flags)
        defer { a.unmount() }
        let b = try MountProcess(sim: sim, extra: store.flags)
        defer { b.unmount() }
        let now = Int(Date().timeIntervalSince1970) - 60
        let file = Scratch.directory("fleet-xml") + "/push.xml"
        try """
            <xml><FromUserName>oFleetSender</FromUserName><CreateTime>\(now)</CreateTime><MsgType>image</MsgType><MediaId>\(image.id)</MediaId><MsgId>4242</MsgId></xml>
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let ingest = await Harness.run([Harness.binary, "ingest", "--cache-dir", a.cacheDirectory, file])
        #expect(ingest.status == 0, "\(ingest.error)")
        let landed = await Harness.waitFor(timeout: 30) { (try? await store.check("exists", store.bucket, "fleet/messages/\(SimProcess.appID)/4242.json")) == "yes" }
        #expect(landed, "host A wrote the message to the store")
        let china = DateFormatter()
        china.dateFormat = "yyyy-MM-dd"
        china.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        let link = b.path("inbox/\(china.string(from: Date(timeIntervalSince1970: TimeInterval(now))))/oFleetSender/4242.jpg")
        let shown = await Harness.waitFor(timeout: 30) { (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil }
        #expect(shown, "host B's inbox shows host A's message: \(b.child.stderrText.suffix(300))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.path("media")).contains("\(image.id).jpg"))
        #expect(await Harness.sha256(link) == (try await sim.expectedSHA(image)))
    }

    /// An upload through host A (`cp` into upload/image/) lands in the store under its new id: host B reads
    /// media/<id>.jpg with no download anywhere, the source file's bytes.
    @Test func anUploadThroughOneHostIsReadOnAnotherWithNoDownload() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let source = "\(Harness.fixtures)/image/\(image.id).\(image.ext)"
        let a = try MountProcess(sim: sim, extra: store.flags)
        defer { a.unmount() }
        let target = a.path("upload/image/shared.jpg")
        let copy = await a.run(["cp", source, target])
        #expect(copy.status == 0, "\(copy.error)")
        let id = try #require(await Harness.run(["getfattr", "--only-values", "-n", "user.wechat.media_id", target]).output.nonEmpty, "no media id")
        let object = "fleet/items/\(SimProcess.appID)/\(id)"
        #expect(await Harness.waitFor(timeout: 20) { (try? await store.check("exists", store.bucket, object)) == "yes" }, "the upload reached the store")
        #expect(try await store.check("same", store.bucket, object, source) == "same")
        try await sim.resetCounters()
        let b = try MountProcess(sim: sim, extra: store.flags)
        defer { b.unmount() }
        #expect(await b.sha256("media/\(id).jpg") == (await Harness.sha256(source)))
        #expect(try await sim.mediaCalls() == 0, "host B read the upload from the store: no download anywhere")
    }

    @Test func wrongStoreCredentialsStopTheMountWithOneLineAndTheConfigStatus() async throws {
        try requireFUSE()
        let store = try await Self.store()
        let wrong = Scratch.path("credentials")
        let key = try String(contentsOfFile: store.credentialsFile, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("aws_access_key_id") }!
        try "[default]\n\(key)\naws_secret_access_key = not-the-secret-4f9a\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        let sim = try SimProcess()
        var flags = store.flags
        flags[flags.count - 1] = wrong
        let base = [Harness.binary, "config", "check", "--api-base", sim.baseURL, "--appid", SimProcess.appID]
        // config check asks the store too: the right key answers, the wrong one is the same one line and 78.
        let good = await Harness.run(base + store.flags, environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(good.status == 0 && good.output.contains("# shared store: s3://fleet/fleet answered"), "\(good.output) \(good.error)")
        #expect(good.output.contains("# s3 credentials: <redacted> (from s3_credentials_file \(store.credentialsFile))"))
        let checked = await Harness.run(base + flags, environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(checked.status == 78 && checked.error.contains("403") && !checked.error.contains("not-the-secret-4f9a"), "\(checked.error)")
        chmod(wrong, 0o644)
        let open = await Harness.run(base + flags, environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(open.status == 78 && open.error.contains("s3_credentials_file"), "a key others can read is refused: \(open.error)")
        chmod(wrong, 0o600)
        let mount = try MountProcess(sim: sim, extra: flags, expectReady: false)
        defer { mount.unmount() }
        try #require(mount.child.waitForExit(timeout: 60), "refused, not mounted")
        #expect(mount.child.process.terminationStatus == 78)
        let message = mount.child.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.contains("shared_cache s3://fleet/fleet") && message.contains("403"), "\(message)")
        #expect(!message.contains("not-the-secret-4f9a"))
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
