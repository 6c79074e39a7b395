import Foundation
import Testing
import Scratch

/// `--metrics-listen` and `wxmediafs status`, checked against what the test did (files and sizes it chose, the
/// budget it gave) and what the simulator itself counted.
@Suite(.serialized) struct MetricsTests {
    @Test func metricsAndStatusMatchWhatHappened() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "image:3M", "--generate", "image:1M"])
        let all = try await sim.items()
        let images = all.filter { $0.kind == "image" && ($0.size == 3 << 20 || $0.size == 1 << 20) }
        try #require(images.count == 2)
        let totalBytes = images.reduce(0) { $0 + $1.size }
        let port = try Harness.freePort()
        let mount = try MountProcess(sim: sim, extra: ["--metrics-listen", "127.0.0.1:\(port)", "--cache-size", "100M", "--log-format", "json"])
        defer { mount.unmount() }
        for image in images { #expect(await mount.sha256(image.path) == (try await sim.expectedSHA(image))) }
        let missing = "Missing_for_metrics_" + String(repeating: "m", count: 30)
        _ = await mount.run(["stat", mount.path("media/\(missing)")])

        // The blocks of what was read are all in the cache (their writes may still be landing).
        var metrics: [String: Double] = [:]
        let settled = try await Harness.waitFor(timeout: 10) {
            metrics = try await Self.scrape(port)
            return metrics["wxmediafs_cache_size_bytes"] == Double(totalBytes)
        }
        #expect(settled, "cache bytes \(metrics["wxmediafs_cache_size_bytes"] ?? -1), expected \(totalBytes)")
        let server = try await sim.counters()
        let mediaGet = server["media/get"]?.requests ?? -1, sent = server["media/get"]?.bytes ?? -1
        let tokenCalls = server["stable_token"]?.requests ?? -1
        #expect(metrics[#"wxmediafs_upstream_calls_total{endpoint="media/get"}"#] == Double(mediaGet), "the server's count of media/get calls")
        let received = metrics[#"wxmediafs_upstream_bytes_total{endpoint="media/get"}"#] ?? -1
        #expect(received >= Double(totalBytes) && received <= Double(sent))
        #expect(metrics["wxmediafs_token_refreshes_total"] == Double(tokenCalls))
        #expect(metrics[#"wxmediafs_upstream_errors_total{error="errcode_40007"}"#] == 1, "the one missing id")
        #expect((metrics[#"wxmediafs_fs_errors_total{errno="ENOENT"}"#] ?? 0) >= 1)
        #expect(metrics["wxmediafs_cache_budget_bytes"] == Double(100 << 20))
        #expect(metrics["wxmediafs_cache_items"] == Double(images.count))
        #expect(metrics["wxmediafs_memory_negative_entries"] == 1)
        // Every block of both images was read once at least: a hit or a miss (1 MiB blocks).
        let blocks = Double(totalBytes >> 20)
        let hits = metrics["wxmediafs_cache_hits_total"] ?? 0, misses = metrics["wxmediafs_cache_misses_total"] ?? 0
        #expect(misses >= 1 && hits + misses >= blocks, "\(hits) hits + \(misses) misses")
        #expect(metrics["wxmediafs_cache_hit_ratio"] == nil, "ratios are PromQL's to compute, not exported")
        // Issue 19, point 6: what Prometheus users expect beside the mount's own figures.
        #expect(metrics[#"wxmediafs_upstream_request_duration_seconds_count{endpoint="media/get"}"#] == Double(mediaGet),
                "one latency sample per media/get the server counted")
        #expect(metrics[#"wxmediafs_quota_calls_today{endpoint="media/get"}"#] == Double(mediaGet))
        #expect(metrics["wxmediafs_quota_limit_per_day"] == 0, "no max_calls_per_day")
        #expect(metrics.keys.contains { $0.hasPrefix("wxmediafs_build_info{") })
        let pid = mount.child.process.processIdentifier
        let started = try #require(metrics["process_start_time_seconds"])
        #expect(abs(started - Date().timeIntervalSince1970) < 300, "started \(started)")
        let fds = Double(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count)
        #expect(abs((metrics["process_open_fds"] ?? -100) - fds) < 20, "the mount's own descriptors, \(fds) by /proc")
        #expect((metrics["process_resident_memory_bytes"] ?? 0) > Double(1 << 20))
        #expect(metrics["process_cpu_seconds_total"] != nil && metrics["process_max_fds"] != nil)
        // The kernel sends reads of at most 1 MiB: 4 MiB read is 4 read requests at least; every name was looked up.
        #expect((metrics[#"wxmediafs_fuse_op_duration_seconds_count{op="read"}"#] ?? 0) >= blocks)
        #expect((metrics[#"wxmediafs_fuse_op_duration_seconds_count{op="lookup"}"#] ?? 0) >= Double(images.count + 1))
        #expect((metrics[#"wxmediafs_fuse_op_duration_seconds_bucket{op="read",le="10.0"}"#] ?? 0) >= blocks)
        #expect(metrics[#"wxmediafs_fuse_op_duration_seconds_count{op="open"}"#] ?? 0 >= Double(images.count))

        let other = await Harness.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/"], timeout: 20)
        #expect(other.output == "404")

        // status: the same figures, for a person.
        let status = await Harness.run([Harness.binary, "status", mount.mountpoint], timeout: 20)
        #expect(status.status == 0, "\(status.error)")
        #expect(status.output.contains("cache      4.0 MiB of 100.0 MiB (4.0%); 2 items, 4 blocks"), "\(status.output)")
        #expect(status.output.contains("media/get \(mediaGet) call"), "\(status.output)")
        #expect(status.output.contains("errors     upstream errcode_40007 ×1; filesystem ENOENT ×"), "\(status.output)")
        #expect(status.output.contains("quota      ") && status.output.contains("media/get \(mediaGet)"), "\(status.output)")
        // docs/grafana-dashboard.json loads (valid JSON, panels with queries) and every metric it queries is one
        // this mount exports (a histogram through its _bucket series).
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "docs/grafana-dashboard.json"))) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
            + [((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []).compactMap { $0["query"] as? String }].flatMap { $0 }
        #expect(panels.count >= 8 && queries.count >= panels.count)
        let named = Set(queries.flatMap { query in
            query.matches(of: /\b(?:wxmediafs|process)_[a-z_]+/).map { String($0.output) }
        })
        #expect(named.count >= 15, "\(named)")
        for name in named {
            #expect(metrics.keys.contains { $0 == name || $0.hasPrefix(name + "{") }, "the dashboard queries \(name), which is not exported")
        }
        // df shows the cache: the budget as the size, what it holds as used (MiB units).
        let df = await Harness.run(["df", "-B1", "--output=size,used", mount.mountpoint])
        let figures = df.output.split(separator: "\n").last?.split(separator: " ").compactMap { Int64($0) } ?? []
        #expect(figures.first == 100 << 20 && figures.last == totalBytes, "df: \(df.output)")
        // With no argument: every wxmediafs mount of the machine, this one among them.
        let every = await Harness.run([Harness.binary, "status"], timeout: 20)
        #expect(every.status == 0 && every.output.contains("wxmediafs on \(mount.mountpoint)"), "\(every.output)\(every.error)")
        #expect(status.output.contains("1 negative entry"), "\(status.output)")
        #expect(status.output.contains("hit ratio "), "\(status.output)")
        #expect(status.output.contains("latency    lookup"), "\(status.output)")
        let raw = await Harness.run([Harness.binary, "status", mount.mountpoint, "--json"], timeout: 20)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(raw.output.utf8)) as? [String: Any])
        let upstream = try #require(document["upstream"] as? [String: Any])
        #expect(upstream["tokenRefreshes"] as? Int == tokenCalls)
        let latency = try #require(document["latency"] as? [String: Any])
        #expect(((latency["read"] as? [String: Any])?["count"] as? Int ?? 0) >= Int(blocks))

        // --log-format json: every line on standard error is one JSON object; the secret is nowhere.
        #expect(mount.unmount())
        let lines = mount.child.stderrText.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["timestamp"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains("metrics on http://127.0.0.1:\(port)/metrics") })
        #expect(!mount.child.stderrText.contains(SimProcess.secret))
    }

    @Test func statusOfAPathThatIsNoMountIsOneLineAndENOENT() async throws {
        try requireFUSE()
        let directory = Scratch.directory("not-a-mount")
        let result = await Harness.run([Harness.binary, "status", directory], timeout: 20)
        #expect(result.status == 2)
        #expect(result.error == "wxmediafs: status \(directory): not a wxmediafs mount (no \(directory)/.wxmediafs/stats)\n", "\(result.error)")
    }

    @Test func anAddressInUseStopsTheMountBeforeMounting() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let (port, socket) = try Harness.listeningSocket()
        defer { close(socket) }
        let mount = try MountProcess(sim: sim, extra: ["--metrics-listen", "127.0.0.1:\(port)"], expectReady: false)
        #expect(mount.child.waitForExit(timeout: 30))
        #expect(mount.child.process.terminationStatus != 0)
        #expect(mount.child.stderrText.contains("cannot serve metrics on 127.0.0.1:\(port)"), "\(mount.child.stderrText)")
        #expect(!Harness.isMounted(mount.mountpoint))
    }

    /// `GET /metrics` as a dictionary from each series (`name{labels}`) to its value.
    static func scrape(_ port: Int) async throws -> [String: Double] {
        let result = await Harness.run(["curl", "-sf", "http://127.0.0.1:\(port)/metrics"], timeout: 20)
        guard result.status == 0 else { throw HarnessError("GET /metrics failed (\(result.status)): \(result.error)") }
        var series: [String: Double] = [:]
        for line in result.output.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            series[String(line[..<space])] = value
        }
        return series
    }
}

extension Harness {
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
    static func freePort() throws -> Int {
        let (port, socket) = try listeningSocket()
        close(socket)
        return port
    }

    /// A socket listening on 127.0.0.1 at a port the system chose, and that port.
    static func listeningSocket() throws -> (port: Int, socket: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw HarnessError("bind: errno \(errno)")
        }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }
}
