import Foundation
import Testing
import Scratch

/// The real binary, the real simulator over loopback HTTP, a real FUSE mount, real tools.
@Suite(.serialized) struct MountTests {
    @Test func everyFixtureCopiesByteExactAndOnce() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let items = try await sim.items()
        let copies = Scratch.directory("copies")
        for item in items {
            let target = "\(copies)/\(item.id).\(item.ext)"
            let copy = await mount.run(["cp", mount.path(item.path), target])
            #expect(copy.status == 0, "cp \(item.path): \(copy.error)")
            #expect(await Harness.sha256(target) == (try await sim.expectedSHA(item)), "\(item.kind)")
        }
        let calls = try await sim.counters()
        print("[integration] cp of \(items.count) fixtures: upstream", calls.mapValues { "\($0.requests) calls \($0.bytes) B" })
        // One call per media/get or jssdk item, and the video's CDN call(s).
        #expect(calls["media/get"]?.requests == items.filter { $0.kind != "hd" }.count)
        #expect(calls["media/get/jssdk"]?.requests == items.filter { $0.kind == "hd" }.count)
        let listing = await mount.run(["ls", mount.path("media"), mount.path("hd")])
        for item in items { #expect(listing.output.contains(item.path.split(separator: "/").last!)) }
        #expect(mount.unmount(), "SIGTERM unmounts and exits 0")
        #expect(!FileManager.default.fileExists(atPath: mount.path("media")))
    }

    @Test func ffprobeReadsTheVideoWithMoovAtTheEndAndTheVoice() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let items = try await sim.items()
        for kind in ["video", "voice"] {
            let item = try #require(items.first { $0.kind == kind && $0.size < 10_000_000 })
            let probe = await mount.run(["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration", "-of", "compact", mount.path(item.path)])
            #expect(probe.status == 0, "\(probe.error)")
            #expect(probe.output.contains(kind == "video" ? "mp4" : "amr"), "\(probe.output)")
        }
        print("[integration] ffprobe: upstream", try await sim.counters().mapValues { "\($0.requests) calls \($0.bytes) B" })
    }

    @Test func invalidAndMalformedNamesAreENOENTAndCheap() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let missing = "Expired_media_id_000000000000000000000000000000000000000000000000"
        let first = await mount.run(["stat", mount.path("media/\(missing).jpg")])
        #expect(first.status != 0 && first.error.contains("No such file"))
        let afterFirst = try await sim.calls("media/get")
        #expect(afterFirst == 1)
        let again = await mount.run(["stat", mount.path("media/\(missing)")])
        #expect(again.error.contains("No such file"))
        #expect(try await sim.calls("media/get") == 1, "no second upstream call within the TTL")
        for name in ["bad%20name", "a.b.c", String(repeating: "x", count: 200), "id!"] {
            let result = await mount.run(["stat", mount.path("media/\(name)")])
            #expect(result.status != 0)
        }
        #expect(try await sim.mediaCalls() == 1, "malformed names cost no call")
        let write = await mount.run(["sh", "-c", "echo hi > \(mount.path("media/new.jpg"))"])
        #expect(write.status != 0 && write.error.contains("Read-only"))
        print("[integration] ENOENT: media/get calls \(try await sim.calls("media/get"))")
    }

    @Test func sixteenParallelReadersOfAColdVideoShareTheTransfer() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "video:48M", "--bandwidth", "200000000"])
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let video = try #require(try await sim.items().first { $0.kind == "video" && $0.size == 48 << 20 })
        let expected = try await sim.expectedSHA(video)
        try await sim.resetCounters()
        let sums = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<16 { group.addTask { await mount.sha256(video.path) } }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(sums.allSatisfy { $0 == expected })
        let cdnBytes = try await sim.bytes("cdn")
        print("[integration] 16 readers of a \(video.size) B video: cdn \(try await sim.calls("cdn")) calls, \(cdnBytes) B (\(String(format: "%.3f", Double(cdnBytes) / Double(video.size)))×)")
        #expect(Double(cdnBytes) <= 1.05 * Double(video.size))
    }

    @Test func aRemountReadsEverythingFromTheCache() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "video:8M"])
        let cache = Scratch.directory("cache")
        let items = try await sim.items()
        var expected: [String: String] = [:]
        for item in items { expected[item.id] = try await sim.expectedSHA(item) }  // before counting: `get` calls too
        do {
            let mount = try MountProcess(sim: sim, cacheDirectory: cache)
            for item in items { #expect(await mount.sha256(item.path) != nil) }
            #expect(mount.unmount())
        }
        try await sim.resetCounters()
        let again = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { again.unmount() }
        for item in items { #expect(await again.sha256(item.path) == expected[item.id]) }
        let calls = try await sim.mediaCalls()
        print("[integration] remount, read \(items.count) items: \(calls) upstream media calls", try await sim.counters().mapValues { "\($0.requests) calls \($0.bytes) B" })
        #expect(calls == 0)
    }

    @Test func killNineMidTransferThenRemountServesTheRightBytes() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "image:6M", "--bandwidth", "2000000"])
        let image = try #require(try await sim.items().first { $0.kind == "image" && $0.size == 6 << 20 })
        let expected = try await sim.expectedSHA(image)
        let cache = Scratch.directory("cache")
        let mountpoint = Scratch.directory("mnt")
        let first = try MountProcess(sim: sim, mountpoint: mountpoint, cacheDirectory: cache)
        let file = CachedItemFile(cache: cache, id: image.id)
        let reader = Task { await first.run(["cat", first.path(image.path)], timeout: 60) }
        // Mid-transfer: a few blocks on disk (of 6).
        #expect(await Harness.waitFor(timeout: 20) { file.blocks().count >= 2 })
        first.kill9()
        _ = await reader.value
        // The blocks on disk at the kill, and the file holding them: reused means neither fetched nor rewritten.
        let before = file.blocks().mapValues(\.crc), inode = file.inode
        #expect(!before.isEmpty, "some blocks reached the disk before the kill")
        try await sim.resetCounters()
        // The stale mount is cleaned up by the next mount on the same directory.
        let second = try MountProcess(sim: sim, mountpoint: mountpoint, cacheDirectory: cache)
        defer { second.unmount() }
        #expect(await second.sha256(image.path) == expected)
        let fetched = try await sim.bytes("media/get")
        print("[integration] kill -9 mid-transfer with \(before.count) blocks on disk, remount: media/get \(try await sim.calls("media/get")) calls, \(fetched) B")
        #expect(fetched <= image.size - Int64(before.count - 1) * (1 << 20), "the blocks cached before the kill were not fetched again")
        let after = file.blocks().mapValues(\.crc)
        for (index, crc) in before { #expect(after[index] == crc, "block \(index) was kept") }
        #expect(file.inode == inode, "the file was reused, not made anew")
    }

    @Test(arguments: [["--no-range"], ["--no-content-length"], ["--no-range", "--no-content-length"]])
    func serverModesWithoutRangeOrLength(_ flags: [String]) async throws {
        try requireFUSE()
        let sim = try SimProcess(flags + ["--generate", "video:6M"])
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        for item in try await sim.items() {
            #expect(await mount.sha256(item.path) == (try await sim.expectedSHA(item)), "\(flags) \(item.kind)")
        }
        let tail = await mount.run(["dd", "if=" + mount.path(try await sim.items().first { $0.size == 6 << 20 }!.path), "of=/dev/null", "bs=65536", "skip=90"])
        #expect(tail.status == 0)
        print("[integration] \(flags): upstream", try await sim.counters().mapValues { "\($0.requests) calls \($0.bytes) B" })
    }

    @Test func tokensExpiringWhileMountedAreReplaced() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let items = try await sim.items()
        #expect(await mount.sha256(items[0].path) != nil)
        try await sim.post("/__sim/expire-tokens")
        for item in items.dropFirst() {
            #expect(await mount.sha256(item.path) == (try await sim.expectedSHA(item)))
        }
        let tokens = try await sim.calls("stable_token")
        print("[integration] token expired mid-session: stable_token \(tokens) calls")
        #expect(tokens == 2)
    }

    @Test func aTokenExpiringMidReadIsReplacedWhenTheTransferResumes() async throws {
        try requireFUSE()
        // Tokens live 1 s; a 3 MiB image at 1 MB/s is cut halfway (truncated body): the resumed call needs a new token.
        let sim = try SimProcess(["--token-ttl", "1", "--bandwidth", "1000000", "--generate", "image:3M"])
        let image = try #require(try await sim.items().first { $0.kind == "image" && $0.size == 3 << 20 })
        let expected = try await sim.expectedSHA(image)
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        try await sim.resetCounters()
        try await sim.post("/__sim/fault", #"{"endpoint":"media/get","fault":"truncate","count":1}"#)
        #expect(await mount.sha256(image.path) == expected)
        let calls = try await sim.counters()
        print("[integration] token expired mid-read: media/get \(calls["media/get"]!.requests) calls \(calls["media/get"]!.bytes) B, stable_token \(calls["stable_token"]!.requests) calls")
        #expect(calls["media/get"]!.requests >= 2)
        #expect(calls["stable_token"]!.requests >= 1)
        #expect(calls["media/get"]!.bytes <= Int64(image.size) + 64 * 1024, "resumed, not restarted")
    }

    @Test func sigintUnmountsAndExitsZero() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        mount.child.signal(SIGINT)
        #expect(mount.child.waitForExit(timeout: 10))
        #expect(mount.child.process.terminationStatus == 0)
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(mount.mountpoint))
    }

    @Test func aWrongSecretFailsWithEACCESAndOneLine() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim, secret: "wrong-secret", expectReady: false)
        #expect(mount.child.waitForExit(timeout: 30))
        #expect(mount.child.process.terminationStatus == 13)
        #expect(mount.child.stderrText.contains("appid or appsecret rejected (40125)"), "\(mount.child.stderrText)")
        #expect(!mount.child.stderrText.contains("wrong-secret"))
    }

    @Test func aBusyServerIsRetriedAndAQuotaIsEDQUOT() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let items = try await sim.items()
        try await sim.post("/__sim/fault", #"{"endpoint":"media/get","fault":"busy","count":2}"#)
        #expect(await mount.sha256(items.first { $0.kind == "image" }!.path) != nil)
        try await sim.post("/__sim/fault", #"{"endpoint":"media/get","fault":"daily-quota","count":1}"#)
        let quota = await mount.run(["cat", mount.path(items.first { $0.kind == "voice" }!.path)])
        #expect(quota.error.contains("Disk quota exceeded"), "\(quota.error)")
    }
}
