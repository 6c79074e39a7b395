import Foundation
import Testing
import Scratch

/// mount(8) and fstab: `mount -t fuse.wxmediafs` runs mount.fuse3, which runs `wxmediafs SOURCE MOUNTPOINT -o …`
/// and waits for it. It must return once the filesystem is mounted (status 0), with the mount detached in the
/// background, or fail with the mount's own status and one line.
@Suite(.serialized) struct MountHelperTests {
    /// The mount process serving `mountpoint` (the detached child), if any.
    static func daemon(of mountpoint: String) -> Int32? {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.first { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count > 2 && arguments[1] == "mount" && arguments[2] == mountpoint
        }
    }

    func secretFile() throws -> String {
        let path = Scratch.directory("secret") + "/appsecret"
        try SimProcess.secret.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    @Test func mountFuse3ReturnsOnceMountedAndTheDaemonServes() async throws {
        let sim = try SimProcess()
        let item = try #require(try await sim.items().first { $0.kind == "image" })
        let mountpoint = Scratch.directory("helper-mnt"), cache = Scratch.directory("helper-cache")
        let binDirectory = (Harness.binary as NSString).deletingLastPathComponent
        let log = Scratch.directory("helper-log") + "/wxmediafs.log"
        let options = "appid=\(SimProcess.appID),secret_file=\(try secretFile()),api_base=\(sim.baseURL),cache_dir=\(cache),_netdev,nofail,"
            + "log_file=\(log),log_level=info,log_format=json"
        let result = await Harness.run(["/sbin/mount.fuse3", "wxmediafs", mountpoint, "-o", options, "-t", "fuse.wxmediafs"],
                                       environment: ["PATH": binDirectory + ":/usr/sbin:/usr/bin:/sbin:/bin"])
        defer { umount2(mountpoint, Int32(MNT_DETACH)) }
        #expect(result.status == 0, "\(result.error)")
        #expect(Harness.isMounted(mountpoint), "mounted by the time mount.fuse3 returned")
        let pid = try #require(Self.daemon(of: mountpoint), "a detached mount process serves it")
        #expect(getsid(pid) == pid, "in a session of its own")
        let read = await Harness.run(["sha256sum", "\(mountpoint)/\(item.path)"])
        #expect(read.output.hasPrefix(try await sim.expectedSHA(item)))
        #expect(await Harness.run(["fusermount3", "-u", mountpoint]).status == 0)
        #expect(await Harness.waitFor(timeout: 10) { Self.daemon(of: mountpoint) == nil }, "unmounting ends the daemon")
        // Detached, it still logs: JSON lines in log_file, from before and after it detached, no secret.
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        let levels = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["level"] as? String }
        #expect(levels.count == lines.count && lines.count >= 2, "\(lines)")
        #expect(lines.contains { $0.contains("upstream calls counted") } && lines.contains { $0.contains("unmount") }, "\(lines)")
        #expect(!lines.contains { $0.contains(SimProcess.secret) })
    }

    /// Issue 19, point 8: the log file is in the log format asked (text by default), and SIGHUP opens it again, so
    /// logrotate may move it.
    @Test func theLogFileIsTextAndReopenedOnHangup() async throws {
        let sim = try SimProcess()
        let log = Scratch.directory("text-log") + "/wxmediafs.log"
        let mount = try MountProcess(sim: sim, extra: ["--log-file", log, "--log-level", "info"])
        let first = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(first.contains(" info wxmediafs:") && !first.hasPrefix("{"), "text lines: \(first)")
        #expect(rename(log, log + ".1") == 0)
        kill(mount.child.process.processIdentifier, SIGHUP)
        #expect(await Harness.waitFor(timeout: 5) { FileManager.default.fileExists(atPath: log) }, "opened again under its name")
        #expect(mount.unmount())
        let after = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(after.contains("unmounted"), "the lines after the rotation went to the new file: \(after)")
        #expect(!((try? String(contentsOfFile: log + ".1", encoding: .utf8)) ?? "").contains("unmounted"))
    }

    @Test func aFailedMountFailsMountItself() async throws {
        let sim = try SimProcess()
        let mountpoint = Scratch.directory("helper-mnt")
        let binDirectory = (Harness.binary as NSString).deletingLastPathComponent
        let result = await Harness.run(
            ["/sbin/mount.fuse3", "wxmediafs", mountpoint, "-o", "appid=\(SimProcess.appID),api_base=\(sim.baseURL)", "-t", "fuse.wxmediafs"],
            environment: ["PATH": binDirectory + ":/usr/sbin:/usr/bin:/sbin:/bin", "WECHAT_APPSECRET": "wrong-secret"]
        )
        #expect(result.status == 13, "EACCES for a wrong secret: \(result.error)")
        #expect(result.error.contains("wxmediafs: mount \(mountpoint):"), "one line naming the cause: \(result.error)")
        #expect(!result.error.contains("wrong-secret"))
        #expect(!Harness.isMounted(mountpoint))
        #expect(Self.daemon(of: mountpoint) == nil)
    }

    /// `mount -a -T FILE` resets PATH, so the helper must be in the system's: the test puts a link in
    /// /usr/local/sbin for its run when none is there (scripts/install puts the binary in /usr/local/bin).
    @Test func anFstabLineMountsWithMountA() async throws {
        let link = "/usr/local/sbin/wxmediafs"
        let installed = FileManager.default.fileExists(atPath: "/usr/local/bin/wxmediafs") || FileManager.default.fileExists(atPath: link)
        if !installed { try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Harness.binary) }
        defer { if !installed { unlink(link) } }
        let sim = try SimProcess()
        let item = try #require(try await sim.items().first { $0.kind == "voice" })
        let mountpoint = Scratch.directory("fstab-mnt"), skipped = Scratch.directory("fstab-noauto")
        let cache = Scratch.directory("fstab-cache")
        let options = "appid=\(SimProcess.appID),secret_file=\(try secretFile()),api_base=\(sim.baseURL),cache_dir=\(cache)"
        let fstab = Scratch.directory("fstab") + "/fstab"
        try """
            # a test fstab
            wxmediafs \(mountpoint) fuse.wxmediafs \(options),_netdev,nofail,x-systemd.automount 0 0
            wxmediafs \(skipped) fuse.wxmediafs \(options),noauto 0 0
            """.write(toFile: fstab, atomically: true, encoding: .utf8)
        let result = await Harness.run(["mount", "-a", "-T", fstab])
        defer { umount2(mountpoint, Int32(MNT_DETACH)) }
        #expect(result.status == 0, "\(result.error)")
        #expect(Harness.isMounted(mountpoint))
        #expect(!Harness.isMounted(skipped), "noauto is left alone")
        let read = await Harness.run(["sha256sum", "\(mountpoint)/\(item.path)"])
        #expect(read.output.hasPrefix(try await sim.expectedSHA(item)))
        let listed = await Harness.run(["findmnt", "-n", "-o", "SOURCE,FSTYPE", mountpoint])
        #expect(listed.output.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == ["wxmediafs", "fuse.wxmediafs"])
        #expect(await Harness.run(["mount", "-a", "-T", fstab]).status == 0, "mount -a again: already mounted, nothing to do")
        #expect(await Harness.run(["umount", mountpoint]).status == 0)
        #expect(await Harness.waitFor(timeout: 10) { Self.daemon(of: mountpoint) == nil })
    }
}
