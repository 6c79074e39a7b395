import Foundation
import Testing
import Scratch

/// Quota awareness with the real binary: `--max-calls-per-day` on a real mount (EDQUOT checked by a real tool,
/// errno read by Python's os.stat), the count kept across a remount, a `get` beside a mount adding its calls, and
/// `wxmediafs quota` reporting what the simulator itself counted.
@Suite(.serialized) struct QuotaTests {
    static let edquot = 122

    /// errno of `os.stat` on a path of the mount, as Python sees it (0: it succeeded).
    func statErrno(_ mount: MountProcess, _ relative: String) async -> Int? {
        let script = """
            import os, sys
            try:
                os.stat(sys.argv[1])
                print(0)
            except OSError as error:
                print(error.errno)
            """
        let result = await mount.run(["python3", "-c", script, mount.path(relative)], timeout: 60)
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func quotaSection(_ mount: MountProcess) async throws -> [String: Any] {
        try #require(try await mount.stats()["quota"] as? [String: Any])
    }

    @Test func theDailyLimitRefusesUncachedLookupsWithoutACallAndSurvivesARemount() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "6*image:8K"])
        let images = try await sim.items().filter { $0.kind == "image" && $0.size == 8192 }
        try #require(images.count == 6)
        let cache = Scratch.directory("quota-cache")
        let limit = ["--max-calls-per-day", "3"]
        let mount = try MountProcess(sim: sim, cacheDirectory: cache, extra: limit)
        defer { mount.unmount() }

        for item in images[0..<3] {
            #expect(await mount.sha256(item.path) == (try await sim.expectedSHA(item)), "\(item.id) within the limit")
        }
        #expect(try await sim.calls("media/get") == 3)
        #expect(await statErrno(mount, images[3].path) == Self.edquot)
        let cat = await mount.run(["cat", mount.path(images[4].path)])
        #expect(cat.status != 0 && cat.error.contains("Disk quota exceeded"), "\(cat.error)")
        #expect(await statErrno(mount, images[3].path) == Self.edquot, "still refused, not remembered as missing")
        #expect(try await sim.calls("media/get") == 3, "a refused lookup makes no upstream call")
        for item in images[0..<3] {
            #expect(await mount.sha256(item.path) == (try await sim.expectedSHA(item)), "cached items still read")
        }
        #expect(await statErrno(mount, "media/not%20an%20id") == 2, "a malformed name is still ENOENT")

        let quota = try await quotaSection(mount)
        #expect(quota["calls"] as? [String: Int] == ["media/get": 3])
        #expect(quota["limitPerDay"] as? Int == 3)
        let day = try #require(quota["day"] as? String)
        #expect(day.count == 10 && day.hasPrefix("20"))
        #expect(mount.unmount())
        let warnings = mount.child.stderrText.components(separatedBy: "daily call limit reached").count - 1
        #expect(warnings == 1, "one log line when the limit is first reached: \(mount.child.stderrText.suffix(1500))")
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cache + "/quota.json"))) as? [String: Any])
        #expect(stored["calls"] as? [String: Int] == ["media/get": 3] && stored["day"] as? String == day)

        // The same cache, the same China day: the count goes on.
        let again = try MountProcess(sim: sim, cacheDirectory: cache, extra: limit)
        defer { again.unmount() }
        #expect(await statErrno(again, images[5].path) == Self.edquot)
        #expect(await again.sha256(images[1].path) == (try await sim.expectedSHA(images[1])))
        #expect(try await sim.calls("media/get") == 3, "still no call after the remount")
        #expect(try await quotaSection(again)["calls"] as? [String: Int] == ["media/get": 3])
    }

    @Test func aGetBesideAMountAddsItsCallsToTheDirectorysCount() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let items = try await sim.items()
        let image = try #require(items.first { $0.kind == "image" })
        let hd = try #require(items.first { $0.kind == "hd" })
        let cache = Scratch.directory("quota-shared")
        let mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        #expect(await mount.sha256(image.path) == (try await sim.expectedSHA(image)))
        let output = Scratch.directory("quota-get") + "/hd.speex"
        let get = await Harness.run([Harness.binary, "get", hd.id, "--hd", "--api-base", sim.baseURL, "--appid", SimProcess.appID,
                                     "--cache-dir", cache, "-o", output], environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(get.status == 0, "\(get.error)")
        #expect(mount.unmount())
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cache + "/quota.json"))) as? [String: Any])
        let expected = ["media/get": try await sim.calls("media/get"), "media/get/jssdk": try await sim.calls("media/get/jssdk")]
        #expect(expected == ["media/get": 1, "media/get/jssdk": 1])
        #expect(stored["calls"] as? [String: Int] == expected, "the mount's call and the guest's")
    }

    @Test func theQuotaCommandReportsWhatTheServerCounted() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--daily-limit", "1000"])
        let items = try await sim.items()
        let environment = ["WECHAT_APPSECRET": SimProcess.secret]
        let api = ["--api-base", sim.baseURL, "--appid", SimProcess.appID]
        for (item, hd) in [(items.first { $0.kind == "image" }!, false), (items.first { $0.kind == "voice" }!, false), (items.first { $0.kind == "hd" }!, true)] {
            let output = Scratch.directory("quota-cmd") + "/item"
            let get = await Harness.run([Harness.binary, "get", item.id, "--no-cache", "-o", output] + (hd ? ["--hd"] : []) + api, environment: environment)
            #expect(get.status == 0, "\(get.error)")
        }
        let source = "\(Harness.fixtures)/image/\(items.first { $0.kind == "image" }!.id).jpg"
        let upload = await Harness.run([Harness.binary, "upload", "--type", "image", source] + api, environment: environment)
        #expect(upload.status == 0, "\(upload.error)")

        let counted = try await sim.counters()
        let json = await Harness.run([Harness.binary, "quota", "--json"] + api, environment: environment)
        #expect(json.status == 0, "\(json.error)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let quota = try #require(document["quota"] as? [String: [String: Int]])
        for (path, endpoint) in [("/cgi-bin/media/get", "media/get"), ("/cgi-bin/media/get/jssdk", "media/get/jssdk"), ("/cgi-bin/media/upload", "media/upload")] {
            let used = counted[endpoint]?.requests ?? -1
            #expect(quota[path] == ["daily_limit": 1000, "used": used, "remain": 1000 - used], "\(path)")
        }
        #expect(counted["media/get"]?.requests == 2 && counted["media/get/jssdk"]?.requests == 1 && counted["media/upload"]?.requests == 1)

        let text = await Harness.run([Harness.binary, "quota", "--cgi-path", "/cgi-bin/media/get", "--cgi-path", "/cgi-bin/no/such/api"] + api,
                                     environment: environment)
        #expect(text.status == 5, "76021 for the unknown path is an I/O error")
        let rows = text.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first == ["cgi_path", "daily_limit", "used", "remain"])
        #expect(rows.dropFirst().first == ["/cgi-bin/media/get", "1000", "2", "998"], "\(text.output)")
        #expect(text.error.contains("76021"), "\(text.error)")
        #expect(!(json.output + json.error + text.output + text.error).contains(SimProcess.secret))
    }

    @Test func theHelpShowsExamplesAndTheMountFlag() async throws {
        try requireFUSE()
        let quota = await Harness.run([Harness.binary, "quota", "--help"])
        #expect(quota.status == 0 && quota.output.contains("EXAMPLES:") && quota.output.contains("wxmediafs quota --json"), "\(quota.output)")
        let mount = await Harness.run([Harness.binary, "mount", "--help"])
        #expect(mount.output.contains("--max-calls-per-day"), "\(mount.output)")
    }
}
