import Foundation
import Testing
import WeChatSimulator
import Scratch

/// One cache directory, several processes: a mount owns it (flock on <cache-dir>/lock); `get` and `cache` beside
/// it are guests that delete nothing; a second mount is refused with EBUSY (16) and one line naming the first.
@Suite(.serialized) struct CacheSharingTests {
    static let busy: Int32 = 16

    func getArguments(_ sim: SimProcess, _ id: String, cache: String, output: String) -> [String] {
        [Harness.binary, "get", id, "--api-base", sim.baseURL, "--appid", SimProcess.appID, "--cache-dir", cache, "-o", output]
    }

    @Test func aGetAndStatsBesideAMountStreamingAChunkedItemLoseNothing() async throws {
        try requireFUSE()
        // No Content-Length: the mount writes the image's meta only at the end of its (16 s) stream: time enough for the guests even
        // on a loaded machine (8 s was not, once in a full run).
        let sim = try SimProcess(["--no-content-length", "--bandwidth", "1000000", "--generate", "image:16M"])
        let items = try await sim.items()
        let image = try #require(items.first { $0.kind == "image" && $0.size == 16 << 20 })
        let voice = try #require(items.first { $0.kind == "voice" })
        let expected = try await sim.expectedSHA(image)
        let cache = Scratch.directory("shared-cache")
        let file = CachedItemFile(cache: cache, id: image.id)
        let mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        try await sim.resetCounters()
        let reader = Task { await mount.sha256(image.path) }
        let deadline = Date().addingTimeInterval(10)
        while file.blocks().count < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(file.blocks().count >= 2 && !file.hasMeta,
                     "mid-stream: blocks on disk, no meta yet")

        // Both at once, while the stream goes on (each scans the directory as it starts).
        let output = Scratch.directory("get") + "/voice"
        async let get = Harness.run(getArguments(sim, voice.id, cache: cache, output: output), environment: ["WECHAT_APPSECRET": SimProcess.secret])
        async let stats = Harness.run([Harness.binary, "cache", "stats", "--cache-dir", cache], timeout: 30)
        let (got, statistics) = await (get, stats)
        let stillStreaming = !file.hasMeta
        #expect(got.status == 0, "\(got.error)")
        #expect(await Harness.sha256(output) == (try await sim.expectedSHA(voice)))
        #expect(statistics.status == 0 && statistics.output.contains("\"blocks\""), "\(statistics.error)")
        print("[integration] get and cache stats beside a chunked stream: still streaming after both = \(stillStreaming), blocks on disk \(file.blocks().count)")
        #expect(stillStreaming, "the guests ran while the stream was live")
        #expect(file.blocks().count >= 2, "the guests deleted none of the stream's blocks")

        #expect(await reader.value == expected)
        // Had a guest deleted the stream's blocks, the mount would have fetched the image a second time.
        #expect(try await sim.calls("media/get") == 2, "the image once (the mount), the voice once (the get)")
        #expect(mount.unmount())
        print("[integration] first mount's log: \(mount.child.stderrText.suffix(600))")
        try await sim.resetCounters()
        let again = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { again.unmount() }
        #expect(await again.sha256(image.path) == expected)
        #expect(await again.sha256(voice.path) != nil, "the guest's item is in the cache too")
        let calls = try await sim.mediaCalls()
        print("[integration] remount on the shared cache: \(calls) upstream media calls")
        let counters = try await sim.counters().mapValues(\.requests)
        #expect(calls == 0, "nothing the mount or the guest wrote was lost: \(counters) \(again.child.stderrText)")
    }

    @Test func aSecondMountOnTheSameCacheIsRefusedNamingTheFirst() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let cache = Scratch.directory("shared-cache")
        let first = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { first.unmount() }
        let second = try MountProcess(sim: sim, cacheDirectory: cache, expectReady: false)
        defer { second.unmount() }
        try #require(second.child.waitForExit(timeout: 30), "refused, not mounted")
        #expect(second.child.process.terminationStatus == Self.busy)
        let message = second.child.stderrText
        #expect(message.split(separator: "\n").count == 1, "\(message)")
        #expect(message.contains("cache directory \(cache) is in use by the mount on \(first.mountpoint) (pid \(first.child.process.processIdentifier))"),
                "\(message)")
        #expect(try await sim.calls("stable_token") == 1, "refused before any upstream call")

        let clear = await Harness.run([Harness.binary, "cache", "clear", "--cache-dir", cache], timeout: 30)
        #expect(clear.status == Self.busy)
        #expect(clear.error.contains("is in use by the mount on \(first.mountpoint)"), "\(clear.error)")
        let item = try #require(try await sim.items().first { $0.kind == "image" })
        #expect(await first.sha256(item.path) == (try await sim.expectedSHA(item)), "the first mount serves on")
    }

    @Test func aMountWaitsBrieflyForAGetThatOwnsTheCacheThenRefusesNamingIt() async throws {
        try requireFUSE()
        // A get of 16 MiB at 2 MB/s owns the free cache for ~8 s, longer than a mount waits (5 s).
        let sim = try SimProcess(["--bandwidth", "2000000", "--generate", "image:16M"])
        let image = try #require(try await sim.items().first { $0.kind == "image" && $0.size == 16 << 20 })
        let expected = try await sim.expectedSHA(image)
        let cache = Scratch.directory("shared-cache")
        let output = Scratch.directory("get") + "/image"
        let get = Task { await Harness.run(getArguments(sim, image.id, cache: cache, output: output), environment: ["WECHAT_APPSECRET": SimProcess.secret]) }
        let deadline = Date().addingTimeInterval(10)
        while (try? String(contentsOfFile: cache + "/lock", encoding: .utf8))?.contains(" get") != true, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let started = Date()
        let refused = try MountProcess(sim: sim, cacheDirectory: cache, expectReady: false)
        defer { refused.unmount() }
        try #require(refused.child.waitForExit(timeout: 30), "refused, not mounted")
        let waited = Date().timeIntervalSince(started)
        #expect(refused.child.process.terminationStatus == Self.busy)
        #expect(refused.child.stderrText.contains("cache directory \(cache) is in use by `wxmediafs get` (pid "), "\(refused.child.stderrText)")
        #expect(waited >= 4, "it waited for the get before refusing (\(waited) s)")

        let result = await get.value
        #expect(result.status == 0, "\(result.error)")
        #expect(await Harness.sha256(output) == expected)
        try await sim.resetCounters()
        let mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        #expect(await mount.sha256(image.path) == expected)
        #expect(try await sim.mediaCalls() == 0, "the get, as the owner, kept what it fetched")
    }
}
