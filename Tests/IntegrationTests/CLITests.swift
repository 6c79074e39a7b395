import Foundation
import Testing
import Scratch

/// The command line as a user meets it: `get` byte-exact, one-line errors with errno exit statuses.
@Suite(.serialized) struct CLITests {
    @Test func getReturnsEveryFixtureByteIdentical() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let directory = Scratch.directory("get")
        let cache = Scratch.directory("get-cache")
        let items = try await sim.items()
        var expected: [String: String] = [:]
        for item in items { expected[item.id] = try await sim.expectedSHA(item) }
        for round in 1...2 {
            try await sim.resetCounters()
            for item in items {
                var arguments = [Harness.binary, "get", item.id, "--api-base", sim.baseURL, "--appid", SimProcess.appID,
                                 "--cache-dir", cache, "-o", "\(directory)/\(item.id)"]
                if item.kind == "hd" { arguments.append("--hd") }
                let result = await Harness.run(arguments, environment: ["WECHAT_APPSECRET": SimProcess.secret])
                #expect(result.status == 0, "\(result.error)")
                #expect(await Harness.sha256("\(directory)/\(item.id)") == expected[item.id], "\(item.kind)")
                #expect(!result.output.contains(SimProcess.secret) && !result.error.contains(SimProcess.secret))
            }
            let calls = try await sim.mediaCalls()
            print("[integration] get of every fixture, round \(round): \(calls) upstream media calls")
            if round == 1 { #expect(calls >= items.count) } else { #expect(calls == 0, "the second round comes from the cache") }
        }
    }

    @Test func getOfAnInvalidIdSaysWhyAndExitsWithENOENT() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let result = await Harness.run(
            [Harness.binary, "get", "Missing_id_0000", "--api-base", sim.baseURL, "--appid", SimProcess.appID, "-o", "/tmp/wxmediafs-never",
             "--cache-dir", Scratch.directory("cache")],
            environment: ["WECHAT_APPSECRET": SimProcess.secret]
        )
        #expect(result.status == 2)
        #expect(result.error.contains("media_id not found or expired (40007)"), "\(result.error)")
        #expect(result.error.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/wxmediafs-never"))
        let malformed = await Harness.run([Harness.binary, "get", "../etc/passwd", "--api-base", sim.baseURL, "--appid", SimProcess.appID],
                                          environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(malformed.status == 2)
        #expect(try await sim.calls("media/get") == 1)
    }

    @Test func uploadPrintsAnIdThatReadsBack() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let source = "\(Harness.fixtures)/image/\(image.id).jpg"
        let upload = await Harness.run([Harness.binary, "upload", "--type", "image", source, "--api-base", sim.baseURL, "--appid", SimProcess.appID],
                                       environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(upload.status == 0, "\(upload.error)")
        let id = upload.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64)
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        #expect(await mount.sha256("media/\(id).jpg") == (await Harness.sha256(source)))
    }

    @Test func theSecretComesFromAFileAndTheSimulatorServesADirectory() async throws {
        try requireFUSE()
        // `sim --media DIR` serves DIR/<kind>/<id>.<ext>; `get --secret-file` reads the secret from a file.
        let media = Scratch.directory("media")
        let id = "Own_item_" + String(repeating: "x", count: 40)
        try FileManager.default.createDirectory(atPath: media + "/image", withIntermediateDirectories: true)
        let source = "\(Harness.fixtures)/thumb"
        let thumb = try #require(try FileManager.default.contentsOfDirectory(atPath: source).first)
        try FileManager.default.copyItem(atPath: "\(source)/\(thumb)", toPath: "\(media)/image/\(id).jpg")
        let sim = try SimProcess(["--media", media])
        let secretFile = Scratch.directory("secret") + "/secret"
        try (SimProcess.secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o600)
        let output = Scratch.directory("own") + "/own.jpg"
        let result = await Harness.run([Harness.binary, "get", id, "--api-base", sim.baseURL, "--appid", SimProcess.appID,
                                        "--secret-file", secretFile, "-o", output, "--no-cache"])
        #expect(result.status == 0, "\(result.error)")
        #expect(await Harness.sha256(output) == (await Harness.sha256("\(source)/\(thumb)")))
        let missing = await Harness.run([Harness.binary, "get", id, "--api-base", sim.baseURL, "--appid", SimProcess.appID,
                                         "--secret-file", "/nonexistent/secret"])
        #expect(missing.status != 0 && missing.error.contains("cannot read the secret file"))
        // Issue 18, point 10: a secret file others can read is refused, and the refusal does not show the secret.
        chmod(secretFile, 0o644)
        let open = await Harness.run([Harness.binary, "get", id, "--api-base", sim.baseURL, "--appid", SimProcess.appID,
                                      "--secret-file", secretFile, "-o", output + ".2", "--no-cache"])
        #expect(open.status != 0 && open.error.contains("chmod 600"), "\(open.error)")
        #expect(!open.error.contains(SimProcess.secret) && !open.output.contains(SimProcess.secret))
    }

    @Test func aMissingDevFuseIsOneClearLine() async throws {
        try requireFUSE()
        // A private mount namespace whose /dev is empty: the binary must say what is wrong, not crash or hang.
        let mountpoint = Scratch.directory("mnt")
        let script = "mount -t tmpfs tmpfs /dev && exec \(Harness.binary) mount \(mountpoint) --api-base http://127.0.0.1:9 --appid wx1"
        let result = await Harness.run(["unshare", "--mount", "sh", "-c", script], timeout: 30, environment: ["WECHAT_APPSECRET": "x"])
        #expect(result.status == 19, "ENODEV")
        #expect(result.error.contains("/dev/fuse is missing — load the module"), "\(result.error)")
        #expect(result.error.split(separator: "\n").count == 1)
    }

    @Test func theCommandListIsAsDocumented() async throws {
        try requireFUSE()
        let help = await Harness.run([Harness.binary, "--help"], environment: ["COLUMNS": "80"])  // help wraps at COLUMNS
        let expected = """
            SUBCOMMANDS:
              mount                   Mount temporary media as files: media/<id>.<ext>,
                                      hd/<id>.speex and .wav, .wxmediafs/stats.
              status                  Summarise a mount's .wxmediafs/stats: cache, hit
                                      ratio, upstream calls, errors.
              ingest                  Print the media ids in follower message XML (image,
                                      voice, video, shortvideo).
              get                     Download one temporary media item (through the same
                                      cache as the mounts).
              upload                  Upload a file as temporary media; prints the new
                                      media_id.
              quota                   Ask WeChat for today's quota of media/get,
                                      media/get/jssdk and media/upload.
              sim                     Run the local simulator of the WeChat temporary-media
                                      API (loopback only).
              demo                    The embedded default: start the simulator, mount it
                                      with a temporary cache, show what to try.
              cache                   Inspect or clear the block cache (do it while no
                                      mount uses it).
              config                  Check the configuration: config file, WXMEDIAFS_*
                                      variables and flags.
            """
        #expect(help.status == 0)
        #expect(help.output.contains(expected), "\(help.output)")
    }

    @Test func aBadMountpointIsOneClearLine() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let result = await Harness.run([Harness.binary, "mount", "/nonexistent/wxmediafs", "--api-base", sim.baseURL, "--appid", SimProcess.appID],
                                       timeout: 30, environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(result.status == 2)
        #expect(result.error.contains("mountpoint /nonexistent/wxmediafs does not exist"), "\(result.error)")
    }

    @Test func aFullCacheDiskStillServesCorrectBytes() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "video:12M"])
        let video = try #require(try await sim.items().first { $0.size == 12 << 20 })
        let expected = try await sim.expectedSHA(video)
        let tiny = Scratch.directory("tinyfs")
        let mounted = await Harness.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", tiny])
        try #require(mounted.status == 0, "\(mounted.error)")
        defer { umount2(tiny, Int32(MNT_DETACH)) }
        let mount = try MountProcess(sim: sim, cacheDirectory: tiny + "/cache")
        defer { mount.unmount() }
        #expect(await mount.sha256(video.path) == expected)
        // What did land in the cache is whole and correct: read it again after a remount.
        mount.unmount()
        let again = try MountProcess(sim: sim, cacheDirectory: tiny + "/cache")
        defer { again.unmount() }
        #expect(await again.sha256(video.path) == expected)
        print("[integration] 12 MiB video through a 3 MiB cache disk: cdn \(try await sim.calls("cdn")) calls, \(try await sim.bytes("cdn")) B")
    }
}
