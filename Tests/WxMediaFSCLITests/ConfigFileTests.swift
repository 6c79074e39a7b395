import Foundation
import Testing
@testable import WxMediaFSCLI
import Scratch

/// A config file is read, or refused with one line naming the file, the key and the fix.
@Suite struct ConfigFileTests {
    let path = "/etc/wxmediafs/config.toml"

    func problem(_ text: String) -> String? {
        do {
            _ = try ConfigFile.parse(text, path: path)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func everyKeyIsRead() throws {
        let config = try ConfigFile.parse("""
            # the keys, flat
            api_base = "https://api.weixin.qq.com"
            appid = "wx1234"
            secret_file = "/etc/wxmediafs/secret"
            token_mode = "classic"
            token_file = "/run/token"
            cache_dir = "/var/cache/wxmediafs"
            cache_size = "512M"
            negative_ttl = 60
            log_level = "info"
            log_format = "json"
            metrics_listen = "127.0.0.1:9100"
            max_calls_per_day = 0
            mount_options = ["allow_other"]
            """, path: path)
        let expected = SettingsLayer(
            apiBase: "https://api.weixin.qq.com", appid: "wx1234", secretFile: "/etc/wxmediafs/secret", tokenMode: .classic,
            tokenFile: "/run/token", cacheDir: "/var/cache/wxmediafs", cacheSize: ByteSize(bytes: 512 << 20), negativeTTL: 60,
            logLevel: .info, logFormat: .json, metricsListen: ListenAddress("127.0.0.1:9100"), maxCallsPerDay: 0, mountOptions: ["allow_other"]
        )
        #expect(config.layer == expected)
        #expect(config.layer.metricsListen?.host == "127.0.0.1" && config.layer.metricsListen?.port == 9100)
    }

    @Test func anUnknownKeyIsNamed() {
        let message = problem("cache_dir = \"/x\"\ncache_sise = \"2G\"\n")
        #expect(message?.hasPrefix(#"/etc/wxmediafs/config.toml: unknown key "cache_sise" (known: api_base, appid, "#) == true, "\(message ?? "")")
        #expect(problem("[mount]\noptions = [\"ro\"]\n")?.contains(#"unknown key "mount""#) == true)
    }

    @Test func theCallbackSecretsAreNotKeys() {
        let message = problem("callback_token = \"PushTok3n\"\n")
        #expect(message?.contains("callback_token_file") == true && message?.contains("WXMEDIAFS_CALLBACK_TOKEN") == true, "\(message ?? "")")
        #expect(message?.contains("PushTok3n") == false)
        #expect(problem("callback_aes_key = \"k\"\n")?.contains("callback_aes_key_file") == true)
    }

    @Test func aSyntaxErrorGivesLineAndColumn() {
        let message = problem("appid = \"wx1\"\nb = = 2\n")
        #expect(message?.hasPrefix("/etc/wxmediafs/config.toml:2:5: TOML syntax error: ") == true, "\(message ?? "")")
    }

    @Test func aWrongTypeNamesTheKeyAndTheTypeExpected() {
        #expect(problem("negative_ttl = \"60\"") == "/etc/wxmediafs/config.toml: negative_ttl must be a number of seconds, not a string")
        #expect(problem("max_calls_per_day = 1.5") == "/etc/wxmediafs/config.toml: max_calls_per_day must be an integer, not a floating-point number")
        #expect(problem("mount_options = \"allow_other\"") == "/etc/wxmediafs/config.toml: mount_options must be an array of strings, not a string")
        #expect(problem("cache_dir = 3") == "/etc/wxmediafs/config.toml: cache_dir must be a string, not an integer")
        #expect(problem("token_mode = true") == "/etc/wxmediafs/config.toml: token_mode must be a string, not a boolean")
    }

    @Test func aBadValueSaysWhatWouldDo() {
        #expect(problem("cache_size = \"2X\"") == #"/etc/wxmediafs/config.toml: cache_size = "2X": not a size (use e.g. 2G, 512M)"#)
        #expect(problem("api_base = \"ftp://x\"") == #"/etc/wxmediafs/config.toml: api_base = "ftp://x": not an http:// or https:// URL"#)
        #expect(problem("log_format = \"xml\"") == #"/etc/wxmediafs/config.toml: log_format = "xml": not text or json"#)
        #expect(problem("negative_ttl = -5") == "/etc/wxmediafs/config.toml: negative_ttl = -5: not a number of seconds (0 or more)")
        #expect(problem("max_calls_per_day = -1") == "/etc/wxmediafs/config.toml: max_calls_per_day = -1: not a whole number of 0 or more (0: no limit)")
    }

    @Test func theSecretIsRefusedWithoutEchoingIt() {
        let message = problem("appid = \"wx1\"\nappsecret = \"hunter2-secret\"\n")
        #expect(message?.contains(#""appsecret" is not allowed here"#) == true, "\(message ?? "")")
        #expect(message?.contains("secret_file") == true)
        #expect(message?.contains("hunter2") == false)
    }

    @Test func whichFileIsRead() throws {
        let directory = Scratch.path("config")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let standard = directory + "/config.toml", other = directory + "/other.toml"
        try "cache_dir = \"/standard\"\n".write(toFile: standard, atomically: true, encoding: .utf8)
        try "cache_dir = \"/other\"\n".write(toFile: other, atomically: true, encoding: .utf8)

        #expect(try ConfigFile.load(flag: nil, environment: [:], standardPath: standard)?.layer.cacheDir == "/standard")
        #expect(try ConfigFile.load(flag: nil, environment: ["WXMEDIAFS_CONFIG": other], standardPath: standard)?.layer.cacheDir == "/other")
        #expect(try ConfigFile.load(flag: other, environment: ["WXMEDIAFS_CONFIG": standard], standardPath: standard)?.path == other)
        // A missing standard file is fine; a missing file that was named is not.
        #expect(try ConfigFile.load(flag: nil, environment: [:], standardPath: directory + "/absent.toml") == nil)
        #expect(throws: ConfigError("\(directory)/absent.toml: no such file (named by --config)")) {
            try ConfigFile.load(flag: directory + "/absent.toml", environment: [:], standardPath: standard)
        }
        #expect(throws: ConfigError("\(directory)/absent.toml: no such file (named by WXMEDIAFS_CONFIG)")) {
            try ConfigFile.load(flag: nil, environment: ["WXMEDIAFS_CONFIG": directory + "/absent.toml"], standardPath: standard)
        }
    }

    @Test func listenAddresses() {
        #expect(ListenAddress("localhost:9100")?.description == "localhost:9100")
        #expect(ListenAddress("[::1]:9100")?.host == "::1")
        for bad in ["9100", ":9100", "host:", "host:0", "host:65536", "::1:9100", "[host]:80", "host:+80", "a b:80"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
    }
}

/// contrib/config.toml.example lists every key: uncommented, it is a valid file that sets each one.
@Suite struct ConfigExampleTests {
    @Test func theExampleFileNamesEveryKey() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("contrib/config.toml.example").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        let settings = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("#") && $0.dropFirst().first?.isLowercase == true ? $0.dropFirst() : $0 }
            .joined(separator: "\n")
        let config = try ConfigFile.parse(settings, path: example)
        let resolved = try Settings.resolve(flags: SettingsLayer(), environment: [:], file: config)
        for key in ConfigKey.allCases {
            #expect(resolved.origins[key] == .file(example), "\(key.name) is missing from the example")
        }
    }
}
