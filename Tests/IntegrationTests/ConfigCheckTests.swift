import Foundation
import Testing
import Scratch

/// `wxmediafs config check` as an operator runs it: the effective configuration with each value's source, the
/// secret never shown, and exit status 78 (EX_CONFIG) for a file that cannot be used.
@Suite struct ConfigCheckTests {
    /// The settings variables this test does not set are emptied (an empty variable counts as unset), so the
    /// environment the suite runs in cannot change the answer.
    static let neutral: [String: String] = [
        "WXMEDIAFS_CONFIG": "", "WXMEDIAFS_APPID": "", "WXMEDIAFS_API_BASE": "", "WXMEDIAFS_CACHE_SIZE": "",
        "WXMEDIAFS_NEGATIVE_TTL": "", "WXMEDIAFS_SECRET_FILE": "", "WXMEDIAFS_MOUNT_OPTIONS": "", "WXMEDIAFS_TOKEN_FILE": "",
    ]

    func write(_ text: String) throws -> String {
        let path = Scratch.directory("config") + "/config.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func checkShowsEachValueWithItsSourceAndHidesTheSecret() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Harness.binary), "build wxmediafs first")
        let secret = "Secret-\(UUID().uuidString)"
        let file = try write("""
            api_base = "http://127.0.0.1:9"
            cache_dir = "/from/the/file"
            cache_size = "1G"
            secret_file = "/etc/wxmediafs/secret"
            mount_options = ["allow_other"]
            """)
        let environment = Self.neutral.merging([
            "WXMEDIAFS_CACHE_DIR": "/from/the/env", "WECHAT_APPID": "wxcheck", "WECHAT_APPSECRET": secret,
        ]) { $1 }
        let result = await Harness.run([Harness.binary, "config", "check", "--config", file, "--cache-size", "8G"], environment: environment)
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        for expected in [
            #"api_base = "http://127.0.0.1:9"  # \#(file)"#,
            #"appid = "wxcheck"  # env WECHAT_APPID"#,
            #"secret_file = "/etc/wxmediafs/secret"  # \#(file)"#,
            #"cache_dir = "/from/the/env"  # env WXMEDIAFS_CACHE_DIR"#,
            #"cache_size = "8G"  # flag"#,
            #"negative_ttl = 60  # default"#,
            #"mount_options = ["allow_other"]  # \#(file)"#,
            "# appsecret: <redacted> (from WECHAT_APPSECRET)",
        ] {
            #expect(lines.contains(expected), "missing \(expected) in:\n\(result.output)")
        }
        #expect(!result.output.contains(secret) && !result.error.contains(secret))
    }

    /// Issue 19, point 4: the secret files are opened as a mount would, so `config check` fails where the mount would.
    @Test func aSecretFileThatCannotBeUsedFailsTheCheck() async throws {
        let directory = Scratch.directory("config-secret")
        let secret = directory + "/secret"
        try Data("Very-Secret-Value".utf8).write(to: URL(fileURLWithPath: secret))
        for (mode, fix) in [(0o644 as mode_t, "chmod 600"), (0o000, "cannot read")] {
            chmod(secret, mode)
            let path = mode == 0 ? directory + "/missing" : secret
            let check = await Harness.run([Harness.binary, "config", "check", "--appid", "wx1", "--secret-file", path], environment: Self.neutral)
            #expect(check.status == 78, "mode \(String(mode, radix: 8)): \(check.error)")
            #expect(check.error.contains("secret_file") && check.error.contains(fix), "\(check.error)")
            #expect(!check.error.contains("Very-Secret-Value") && !check.output.contains("Very-Secret-Value"))
        }
        chmod(secret, 0o600)
        let fine = await Harness.run([Harness.binary, "config", "check", "--appid", "wx1", "--secret-file", secret], environment: Self.neutral)
        #expect(fine.status == 0, "\(fine.error)")
    }

    @Test func aBadFileIsOneLineAndExit78() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Harness.binary), "build wxmediafs first")
        let file = try write("cache_dir = \"/x\"\ncache_sise = \"2G\"\n")
        let check = await Harness.run([Harness.binary, "config", "check", "--config", file], environment: Self.neutral)
        #expect(check.status == 78)
        #expect(check.output.isEmpty)
        #expect(check.error.hasPrefix(#"wxmediafs: \#(file): unknown key "cache_sise""#), "\(check.error)")
        #expect(check.error.split(separator: "\n").count == 1)
        // The commands that use the settings refuse it the same way, before any network call.
        let get = await Harness.run([Harness.binary, "get", "Some_id_0000", "--config", file, "-o", "/tmp/wxmediafs-never"],
                                    environment: Self.neutral.merging(["WECHAT_APPSECRET": "x"]) { $1 })
        #expect(get.status == 78 && get.error.contains(#"unknown key "cache_sise""#), "\(get.error)")
        let missing = await Harness.run([Harness.binary, "config", "check", "--config", file + ".absent"], environment: Self.neutral)
        #expect(missing.status == 78 && missing.error.contains("\(file).absent: no such file"), "\(missing.error)")
    }
}
