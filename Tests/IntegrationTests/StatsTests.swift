import Foundation
import Testing

/// `.wxmediafs/stats` counts what happened, checked against what the test did and what the simulator saw.
@Suite(.serialized) struct StatsTests {
    @Test func theCountersMatchWhatHappened() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "image:3M"])
        let image = try #require(try await sim.items().first { $0.kind == "image" && $0.size == 3 << 20 })
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let missing = "Missing_for_stats_" + String(repeating: "m", count: 30)
        for _ in 0..<2 { _ = await mount.run(["stat", mount.path("media/\(missing)")]) }
        _ = await mount.run(["stat", mount.path("media/\(missing).jpg")])
        #expect(await mount.sha256(image.path) == (try await sim.expectedSHA(image)))
        // Issue 19, point 8: `getfattr -d` of an item shows its id, type and creation time.
        let attributes = await mount.run(["getfattr", "--absolute-names", "-d", mount.path(image.path)])
        #expect(attributes.output.contains("user.wechat.media_id=\"\(image.id)\"") && attributes.output.contains("user.wechat.content_type=\"image/jpeg\"")
                && attributes.output.contains("user.wechat.created_at="), "\(attributes.output)\(attributes.error)")
        let stats = try await mount.stats()
        let raw = await mount.run(["cat", mount.path(".wxmediafs/stats")]).output
        #expect(raw.contains(#""media/get""#) && !raw.contains(#"\/"#), "slashes are not escaped")
        let filesystem = try #require(stats["filesystem"] as? [String: Any])
        let errors = filesystem["errors"] as? [String: Int] ?? [:]
        #expect(errors["ENOENT"] ?? 0 >= 1, "the 40007 counted as ENOENT, keyed by its name: \(errors)")
        let hits = filesystem["hits"] as? Int ?? 0, misses = filesystem["misses"] as? Int ?? 0
        #expect(misses >= 1, "a cold image misses at least once")
        #expect(hits + misses >= 3, "every block read is a hit or a miss (3 MiB = 3 blocks): \(hits) + \(misses)")
        #expect(filesystem["reads"] as? Int ?? 0 >= 3)
        #expect(filesystem["lookups"] as? Int ?? 0 >= 2)
        let upstream = try #require((stats["upstream"] as? [String: Any])?["endpoints"] as? [String: Any])
        let mediaGet = try #require(upstream["media/get"] as? [String: Any])
        #expect(mediaGet["calls"] as? Int == (try await sim.calls("media/get")), "the mount's count of calls is the server's")
        // Media bytes received: the image, never more than the server sent (its error bodies included).
        let received = (mediaGet["bytes"] as? NSNumber)?.int64Value ?? -1
        let sent = try await sim.bytes("media/get")
        #expect(received >= image.size && received <= sent)
        let memory = try #require(stats["memory"] as? [String: Int])
        #expect(memory["negativeEntries"] == 1)
        #expect(memory["items"] ?? 0 >= 1)
        let cache = try #require(stats["cache"] as? [String: Any])
        #expect((cache["bytes"] as? NSNumber)?.int64Value == image.size, "the image's blocks are the cache's bytes")
        // A read-only open asks the kernel for no FLUSH at its close (FOPEN_NOFLUSH): one round trip less per `cat`.
        for _ in 0..<3 { _ = await mount.run(["cat", mount.path(image.path)]) }
        let latency = try #require(try await mount.stats()["latency"] as? [String: Any])
        let opens = (latency["open"] as? [String: Any])?["count"] as? Int ?? 0
        #expect(opens >= 4 && latency["flush"] == nil, "opens \(opens), flushes \(String(describing: latency["flush"]))")
    }
}
