import Foundation
import Testing

/// `wxmediafs sim` as a subprocess on port 0, driven through its control routes with curl.
final class SimProcess: @unchecked Sendable {
    static let appID = "wx5e1a0c0ffee00001"
    static let secret = "wxmediafs-simulator-secret"

    struct Item: Decodable {
        var id: String
        var kind: String
        var ext: String
        var size: Int64
        var path: String { kind == "hd" ? "hd/\(id).speex" : "media/\(id).\(ext)" }
    }

    struct Counter: Decodable {
        var requests: Int
        var bytes: Int64
    }

    let child: Child
    let baseURL: String

    init(_ flags: [String] = []) throws {
        child = try Child([Harness.binary, "sim", "--port", "0"] + flags)
        guard let line = child.waitForLine(timeout: 30, where: { $0.hasPrefix("http://") }) else {
            child.signal(SIGKILL)
            throw HarnessError("the simulator did not print its URL: \(child.stderrText)")
        }
        baseURL = line
    }

    deinit { stop() }

    func stop() {
        child.signal(SIGTERM)
        if !child.waitForExit(timeout: 5) { child.signal(SIGKILL) }
    }

    func get<T: Decodable>(_ route: String, as type: T.Type) async throws -> T {
        let result = await Harness.run(["curl", "-sf", baseURL + route], timeout: 20)
        guard result.status == 0 else { throw HarnessError("GET \(route) failed: \(result.error)") }
        return try JSONDecoder().decode(T.self, from: Data(result.output.utf8))
    }

    func post(_ route: String, _ json: String = "{}") async throws {
        let result = await Harness.run(["curl", "-sf", "-X", "POST", "-d", json, baseURL + route], timeout: 20)
        guard result.status == 0 else { throw HarnessError("POST \(route) failed: \(result.error)") }
    }

    func items() async throws -> [Item] { try await get("/__sim/items", as: [Item].self) }
    func counters() async throws -> [String: Counter] { try await get("/__sim/stats", as: [String: Counter].self) }
    func calls(_ endpoint: String) async throws -> Int { try await counters()[endpoint]?.requests ?? 0 }
    func bytes(_ endpoint: String) async throws -> Int64 { try await counters()[endpoint]?.bytes ?? 0 }
    func resetCounters() async throws { try await post("/__sim/reset") }

    /// Upstream calls of every media endpoint together (tokens aside).
    func mediaCalls() async throws -> Int {
        let all = try await counters()
        return ["media/get", "media/get/jssdk", "cdn"].reduce(0) { $0 + (all[$1]?.requests ?? 0) }
    }

    /// The exact bytes of an item, straight from the simulator with `wxmediafs get` (no mount, no cache).
    func expectedSHA(_ item: Item) async throws -> String {
        let fixture = "\(Harness.fixtures)/\(item.kind)/\(item.id).\(item.ext)"
        if FileManager.default.fileExists(atPath: fixture), let sum = await Harness.sha256(fixture) { return sum }
        let output = Harness.temporaryDirectory("expected") + "/item"
        var arguments = [Harness.binary, "get", item.id, "-o", output, "--no-cache", "--api-base", baseURL, "--appid", Self.appID]
        if item.kind == "hd" { arguments.append("--hd") }
        let result = await Harness.run(arguments, timeout: 300, environment: ["WECHAT_APPSECRET": Self.secret])
        guard result.status == 0, let sum = await Harness.sha256(output) else { throw HarnessError("get failed: \(result.error)") }
        return sum
    }
}

/// `wxmediafs mount` as a subprocess with `auto_unmount`; torn down so that nothing can hang.
final class MountProcess: @unchecked Sendable {
    let child: Child
    let mountpoint: String
    let cacheDirectory: String
    private var connection: String?

    init(sim: SimProcess, mountpoint: String? = nil, cacheDirectory: String? = nil, secret: String = SimProcess.secret,
         extra: [String] = [], expectReady: Bool = true) throws {
        self.mountpoint = mountpoint ?? Harness.temporaryDirectory("mnt")
        self.cacheDirectory = cacheDirectory ?? Harness.temporaryDirectory("cache")
        child = try Child(
            [Harness.binary, "mount", self.mountpoint, "--api-base", sim.baseURL, "--appid", SimProcess.appID,
             "--cache-dir", self.cacheDirectory, "-o", "auto_unmount", "--log-level", "info"] + extra,
            environment: ["WECHAT_APPSECRET": secret]
        )
        guard expectReady else { return }
        guard child.waitForLine(timeout: 30, where: { $0.contains("mounted on") }) != nil else {
            child.signal(SIGKILL)
            throw HarnessError("the mount did not come up: \(child.stderrText)")
        }
        var info = stat()
        if stat(self.mountpoint, &info) == 0 {
            let device = UInt64(info.st_dev)
            connection = "\((device & 0xff) | ((device >> 12) & 0xfff00))"
        }
    }

    deinit { unmount() }

    func path(_ relative: String) -> String { mountpoint + "/" + relative }

    /// Ends a stuck connection so blocked callers get an error instead of hanging.
    @Sendable func abort() {
        if let connection { try? "1".write(toFile: "/sys/fs/fuse/connections/\(connection)/abort", atomically: false, encoding: .utf8) }
    }

    /// SIGTERM and a clean exit, or abort + SIGKILL + lazy unmount. Returns whether it ended cleanly.
    @discardableResult
    func unmount() -> Bool {
        guard child.process.isRunning else { return true }
        child.signal(SIGTERM)
        if child.waitForExit(timeout: 10) { return child.process.terminationStatus == 0 }
        abort()
        child.signal(SIGKILL)
        _ = child.waitForExit(timeout: 5)
        umount2(mountpoint, Int32(MNT_DETACH))
        return false
    }

    func kill9() {
        child.signal(SIGKILL)
        _ = child.waitForExit(timeout: 5)
    }

    /// Runs a tool on the mount with a timeout that aborts the connection rather than hang.
    func run(_ arguments: [String], timeout: Double = 120) async -> Harness.Result {
        await Harness.run(arguments, timeout: timeout, onTimeout: abort)
    }

    func sha256(_ relative: String) async -> String? {
        let result = await run(["sha256sum", path(relative)])
        guard result.status == 0 else { return nil }
        return result.output.split(separator: " ").first.map(String.init)
    }

    func stats() async throws -> [String: Any] {
        let result = await run(["cat", path(".wxmediafs/stats")], timeout: 20)
        return (try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]) ?? [:]
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Integration tests need root and /dev/fuse; in CI they must run, so their absence is a failure, not a skip.
func requireFUSE() throws {
    try #require(getuid() == 0, "the mount tests run as root (CI does)")
    try #require(access("/dev/fuse", R_OK | W_OK) == 0, "/dev/fuse must exist")
    try #require(FileManager.default.isExecutableFile(atPath: Harness.binary), "build wxmediafs first (scripts/test does)")
}
