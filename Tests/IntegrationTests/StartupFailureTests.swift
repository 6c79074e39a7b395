import Foundation
import Testing
import Scratch

/// Each way a mount can fail to start gives one line that names the fix, and an exit status of its own.
@Suite struct StartupFailureTests {
    func mount(_ mountpoint: String, sim: SimProcess?, apiBase: String? = nil, secret: String = SimProcess.secret,
               appid: String? = SimProcess.appID) async -> Harness.Result {
        var arguments = [Harness.binary, "mount", mountpoint, "--api-base", apiBase ?? sim?.baseURL ?? "http://127.0.0.1:1",
                         "--cache-dir", Scratch.directory("startup-cache")]
        if let appid { arguments += ["--appid", appid] }
        return await Harness.run(arguments, timeout: 30, environment: ["WECHAT_APPSECRET": secret, "WECHAT_APPID": ""])
    }

    func expectOneLine(_ result: Harness.Result, status: Int32, naming fix: String) {
        #expect(result.status == status, "\(result.error)")
        let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("wxmediafs: mount ") || $0.hasPrefix("wxmediafs: no ") }
        #expect(lines.count == 1 && lines[0].contains(fix), "\(result.error)")
        #expect(!result.error.contains(SimProcess.secret) && !result.output.contains(SimProcess.secret))
    }

    @Test func aMissingMountpoint() async {
        expectOneLine(await mount("/nonexistent/wx", sim: nil), status: 2, naming: "mkdir -p /nonexistent/wx")
    }

    @Test func aMountpointThatIsAFile() async throws {
        let file = Scratch.directory("startup") + "/file"
        try Data().write(to: URL(fileURLWithPath: file))
        expectOneLine(await mount(file, sim: nil), status: 20, naming: "is not a directory")
    }

    @Test func aMountpointAlreadyMounted() async throws {
        let sim = try SimProcess()
        let first = try MountProcess(sim: sim)
        expectOneLine(await mount(first.mountpoint, sim: sim), status: 17, naming: "fusermount3 -u \(first.mountpoint)")
        #expect(first.unmount())
    }

    @Test func aWrongSecret() async throws {
        let sim = try SimProcess()
        expectOneLine(await mount(Scratch.directory("startup-mnt"), sim: sim, secret: "not-the-secret"),
                      status: 13, naming: "check the appid and the appsecret")
    }

    @Test func aWrongAppid() async throws {
        let sim = try SimProcess()
        expectOneLine(await mount(Scratch.directory("startup-mnt"), sim: sim, appid: "wx0000000000000000"),
                      status: 13, naming: "(40013)")
    }

    @Test func anIPNotWhitelisted() async throws {
        let sim = try SimProcess(["--ip-whitelist", "203.0.113.9"])
        expectOneLine(await mount(Scratch.directory("startup-mnt"), sim: sim), status: 77,
                      naming: "add this machine's IP 127.0.0.1 to the account's IP whitelist")
    }

    @Test func anUnreachableAPI() async throws {
        let start = Date()
        let result = await mount(Scratch.directory("startup-mnt"), sim: nil, apiBase: "http://127.0.0.1:1")
        expectOneLine(result, status: 69, naming: "cannot reach the API at http://127.0.0.1:1: Connection refused — check the network")
        #expect(!result.error.contains("errno:") && !result.error.contains("error set"), "no HTTP library internals: \(result.error)")
        #expect(Date().timeIntervalSince(start) < 20, "bounded retries, not the pool's backoff on every try")
    }

    /// In a mount namespace of its own, where `hide` is covered (/dev/null over fusermount3; CLITests covers an empty /dev).
    func mountWithout(_ hide: String, options: [String] = []) async -> Harness.Result {
        let mountpoint = Scratch.directory("startup-mnt")
        let command = "\(hide) && exec '\(Harness.binary)' mount \(mountpoint) --appid \(SimProcess.appID) --api-base http://127.0.0.1:1 "
            + "--cache-dir \(Scratch.directory("startup-cache")) \(options.joined(separator: " "))"
        return await Harness.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command], timeout: 30,
                                 environment: ["WECHAT_APPSECRET": SimProcess.secret])
    }

    @Test func noFusermount3() async {
        let result = await mountWithout("mount --bind /dev/null \"$(command -v fusermount3)\"", options: ["-o", "auto_unmount"])
        expectOneLine(result, status: 65, naming: "fusermount3 was not found — install fuse3")
    }

    /// Issue 19, point 4.
    @Test func aMountpointThatIsNotEmpty() async throws {
        let sim = try SimProcess()
        let mountpoint = Scratch.directory("startup-full")
        try Data("kept".utf8).write(to: URL(fileURLWithPath: mountpoint + "/a-file"))
        expectOneLine(await mount(mountpoint, sim: sim), status: 39, naming: "is not empty (1 entries): mounting would hide them")
        // -o nonempty mounts over it (libfuse 3 no longer knows the option: it is not passed on).
        let over = try MountProcess(sim: sim, mountpoint: mountpoint, extra: ["-o", "nonempty"])
        #expect(FileManager.default.fileExists(atPath: mountpoint + "/media"))
        #expect(over.unmount())
        #expect(FileManager.default.fileExists(atPath: mountpoint + "/a-file"))
    }

    @Test func anUnknownMountOptionListsTheKnownOnes() async throws {
        let sim = try SimProcess()
        let result = await Harness.run([Harness.binary, "mount", Scratch.directory("startup-mnt"), "--api-base", sim.baseURL,
                                        "--appid", SimProcess.appID, "-o", "allow_other,alow_root"], timeout: 30,
                                       environment: ["WECHAT_APPSECRET": SimProcess.secret])
        expectOneLine(result, status: 78, naming: "-o alow_root is not a mount option — known: allow_other, allow_root")
    }

    @Test func aUserWhoMayNotOpenDevFuseIsToldSo() async throws {
        let mountpoint = Scratch.directory("startup-mnt")
        chmod(mountpoint, 0o777)
        let result = await Harness.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Harness.binary, "mount", mountpoint,
                                        "--api-base", "http://127.0.0.1:1", "--appid", SimProcess.appID,
                                        "--cache-dir", "/tmp/wxmediafs-nobody-\(getpid())"], timeout: 30,
                                       environment: ["WECHAT_APPSECRET": SimProcess.secret])
        expectOneLine(result, status: 13, naming: "/dev/fuse exists but this user (uid 65534) may not open it")
    }

    /// The whitelist refusal has one status and one line from every command, not only from `mount`.
    @Test func otherCommandsUseTheSameTable() async throws {
        let sim = try SimProcess(["--ip-whitelist", "203.0.113.9"])
        for command in [["quota"], ["get", "Any_id_1", "-o", "/dev/null", "--no-cache"]] {
            let result = await Harness.run([Harness.binary] + command + ["--api-base", sim.baseURL, "--appid", SimProcess.appID], timeout: 30,
                                           environment: ["WECHAT_APPSECRET": SimProcess.secret])
            #expect(result.status == 77, "\(command): \(result.error)")
            let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("wxmediafs:") }
            #expect(lines.count == 1 && lines[0].contains("IP whitelist"), "\(command): \(result.error)")
        }
        let unreadable = Scratch.directory("startup-secret") + "/secret"
        try Data("x".utf8).write(to: URL(fileURLWithPath: unreadable))
        chmod(unreadable, 0o000)
        let result = await Harness.run([Harness.binary, "quota", "--api-base", sim.baseURL, "--appid", SimProcess.appID,
                                        "--secret-file", unreadable + ".missing"], timeout: 30)
        #expect(result.status == 78 && result.error.contains("cannot read the secret file"), "\(result.error)")
    }

    @Test func noAppid() async throws {
        let sim = try SimProcess()
        let result = await mount(Scratch.directory("startup-mnt"), sim: sim, appid: nil)
        #expect(result.status == 78, "\(result.error)")
        #expect(result.error.contains("no appid — set appid in the config file"), "\(result.error)")
    }
}
