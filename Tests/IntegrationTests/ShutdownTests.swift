import Foundation
import Testing
import Scratch

/// A mount must stop on SIGTERM/SIGINT within 2 s whatever is open or in flight (systemd's stop, Ctrl-C).
@Suite(.serialized) struct ShutdownTests {
    @Test func twentySignalsWithReadersMidTransferAndAFileHeldOpen() async throws {
        try requireFUSE()
        // Slow enough that every reader is mid-transfer when the signal comes (3 × 16 MiB at 4 MB/s each).
        let sim = try SimProcess(["--generate", "image:16M", "--generate", "video:16M", "--generate", "voice:16M", "--bandwidth", "4000000"])
        let items = try await sim.items().filter { $0.size == 16 << 20 }
        try #require(items.count == 3)
        let mountpoint = Scratch.directory("mnt")
        var worst = 0.0
        for round in 1...20 {
            let mount = try MountProcess(sim: sim, mountpoint: mountpoint, cacheDirectory: Scratch.directory("cache"))
            try await sim.resetCounters()
            // One shell: three readers, a file held open (fd 3) and a cwd inside the mount; it reports when
            // every reader has been answered, then sleeps on.
            let readers = items.map { "cat '\(mount.path($0.path))' > /dev/null 2>&1 &" }.joined(separator: " ")
            let holder = try Child(["/bin/sh", "-c", "\(readers) exec 3< '\(mount.path(items[0].path))'; cd '\(mount.path("media"))'; echo holding; exec sleep 60"])
            #expect(holder.waitForLine(timeout: 10) { $0 == "holding" } != nil, "round \(round): the file is held open")
            // Mid-transfer: 768 KiB of the three 16 MiB items have arrived; none can be whole yet.
            #expect(try await Harness.waitFor(timeout: 10) { try await sim.mediaBytes() >= 3 << 18 }, "round \(round): transfers under way")
            let start = Date()
            mount.child.signal(round.isMultiple(of: 2) ? SIGINT : SIGTERM)
            let exited = mount.child.waitForExit(timeout: 2)
            let took = Date().timeIntervalSince(start)
            worst = max(worst, took)
            #expect(exited, "round \(round): the mount exits within 2 s (took \(took) s)")
            if !exited {
                Issue.record("round \(round): still running after 2 s; its log: \(mount.child.stderrText)")
                mount.unmount()
            }
            // (Foundation traps on the termination reason of a process still running: ask only once it ended.)
            let ended = !mount.child.process.isRunning
            #expect(ended && mount.child.process.terminationReason == .exit && mount.child.process.terminationStatus == 0,
                    "round \(round): exit status 0, not a crash: \(mount.child.stderrText)")
            #expect(!mount.child.stderrText.contains("Fatal error"))
            #expect(await Self.childrenEnded(of: holder, within: 5), "round \(round): every reader was answered")
            holder.signal(SIGKILL)
            _ = holder.waitForExit(timeout: 5)
            // The mountpoint is a plain directory again, ready for the next round.
            let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
            #expect(!mounts.contains(" \(mountpoint) "), "round \(round): nothing left mounted")
            var info = stat()
            #expect(stat(mountpoint, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
        }
        print("[integration] 20 rounds of SIGTERM/SIGINT with 3 readers and a file held open: slowest exit \(String(format: "%.3f", worst)) s")
    }

    /// Issue 18 point 3, issue 20 point 4: the servers beside the mount close every connection first at a stop,
    /// whatever it is doing (idle, half a request head, a body still coming): one signal still ends the mount
    /// within 2 s, and both ports are closed by then.
    @Test func aSignalEndsTheMountWhateverItsServersAreDoing() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let metricsPort = try Harness.freePort(), callbackPort = try Harness.freePort()
        let mount = try MountProcess(sim: sim, extra: ["--metrics-listen", "127.0.0.1:\(metricsPort)", "--callback-listen", "127.0.0.1:\(callbackPort)"],
                                     environment: ["WXMEDIAFS_CALLBACK_TOKEN": "shutdown-test-token"])
        // On each port: an idle connection, half a request head, and a POST whose 10 MB body is still coming.
        let peers = try [metricsPort, callbackPort].map { port in
            try Child(["/usr/bin/python3", "-c", """
                import socket, time
                idle = socket.create_connection(("127.0.0.1", \(port)))
                half = socket.create_connection(("127.0.0.1", \(port))); half.sendall(b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: ")
                body = socket.create_connection(("127.0.0.1", \(port)))
                body.sendall(b"POST /wechat?timestamp=1&nonce=1&signature=x HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 10000000\\r\\n\\r\\n" + b"a" * 100000)
                print("connected", flush=True)
                time.sleep(60)
                """])
        }
        for peer in peers { #expect(peer.waitForLine(timeout: 10) { $0 == "connected" } != nil) }
        let start = Date()
        mount.child.signal(SIGTERM)
        #expect(mount.child.waitForExit(timeout: 2), "exits within 2 s (took \(Date().timeIntervalSince(start)) s)")
        #expect(mount.child.process.terminationStatus == 0)
        for port in [metricsPort, callbackPort] {
            let refused = await Harness.run(["curl", "-s", "-m", "2", "http://127.0.0.1:\(port)/metrics"], timeout: 5)
            #expect(refused.status != 0, "port \(port) is closed")
        }
        for peer in peers { peer.signal(SIGKILL) }
    }

    @Test func aSecondSignalIsNeverIgnored() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "image:16M", "--bandwidth", "2000000"])
        let image = try #require(try await sim.items().first { $0.size == 16 << 20 })
        let mount = try MountProcess(sim: sim)
        let reader = try Child(["/bin/sh", "-c", "cat '\(mount.path(image.path))' > /dev/null 2>&1 & exec sleep 60"])
        #expect(try await Harness.waitFor(timeout: 10) { try await sim.mediaBytes() >= 1 << 18 }, "the transfer is under way")
        mount.child.signal(SIGTERM)
        mount.child.signal(SIGTERM)
        #expect(mount.child.waitForExit(timeout: 2))
        #expect(mount.child.process.terminationStatus == 0)
        #expect(await Self.childrenEnded(of: reader, within: 5))
        reader.signal(SIGKILL)
    }

    /// Whether every child of `parent` has ended (a zombie counts: the test's shells do not reap them,
    /// signals being blocked in processes the test starts) within `seconds`.
    static func childrenEnded(of parent: Child, within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let states = await Harness.run(["ps", "-o", "stat=", "--ppid", "\(parent.process.processIdentifier)"], timeout: 5).output
            if states.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("Z") }) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
