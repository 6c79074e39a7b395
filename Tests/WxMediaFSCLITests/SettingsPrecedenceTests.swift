import Logging
import Testing
@testable import WeChatCallback
@testable import WxMediaFSCLI

/// flag > environment > config file > default, key by key; every expected value is written out by hand.
@Suite struct SettingsPrecedenceTests {
    let path = "/etc/wxmediafs/test.toml"

    func file(_ text: String) throws -> ConfigFile { try ConfigFile.parse(text, path: path) }

    @Test func theDefaultsWhenNothingIsGiven() throws {
        let settings = try Settings.resolve(flags: SettingsLayer(), environment: ["HOME": "/home/op"], file: nil)
        #expect(settings.apiBase == "https://api.weixin.qq.com")
        #expect(settings.tokenMode == .stable)
        #expect(settings.cacheDir == "/home/op/.cache/wxmediafs")
        #expect(settings.cacheSize.bytes == 2_147_483_648)
        #expect(settings.negativeTTL == 60)
        #expect(settings.logLevel == .warning)
        #expect(settings.logFormat == .text)
        #expect(settings.maxCallsPerDay == 0)
        #expect(settings.mountOptions == [])
        #expect(settings.appid == nil && settings.secretFile == nil && settings.tokenFile == nil && settings.metricsListen == nil)
        #expect(settings.origins[.cacheDir] == .builtIn && settings.origins[.appid] == nil)
        #expect(settings.secret == .none)
        #expect(settings.configFile == nil)
    }

    @Test func cacheDirFromEachSourceInTurn() throws {
        let config = try file(#"cache_dir = "/from/file""#)
        let environment = ["WXMEDIAFS_CACHE_DIR": "/from/env", "XDG_CACHE_HOME": "/xdg"]
        let flags = SettingsLayer(cacheDir: "/from/flag")

        let all = try Settings.resolve(flags: flags, environment: environment, file: config)
        #expect(all.cacheDir == "/from/flag" && all.origins[.cacheDir] == .flag)
        let noFlag = try Settings.resolve(flags: SettingsLayer(), environment: environment, file: config)
        #expect(noFlag.cacheDir == "/from/env" && noFlag.origins[.cacheDir] == .environment("WXMEDIAFS_CACHE_DIR"))
        let fileOnly = try Settings.resolve(flags: SettingsLayer(), environment: ["XDG_CACHE_HOME": "/xdg"], file: config)
        #expect(fileOnly.cacheDir == "/from/file" && fileOnly.origins[.cacheDir] == .file(path))
        let none = try Settings.resolve(flags: SettingsLayer(), environment: ["XDG_CACHE_HOME": "/xdg"], file: nil)
        #expect(none.cacheDir == "/xdg/wxmediafs" && none.origins[.cacheDir] == .builtIn)
    }

    @Test func eachKeyIsTakenFromItsOwnBestSource() throws {
        let config = try file("""
            api_base = "http://file.example"
            cache_size = "1G"
            negative_ttl = 30
            log_level = "debug"
            mount_options = ["ro"]
            """)
        let environment = ["WXMEDIAFS_CACHE_SIZE": "512M", "WXMEDIAFS_MOUNT_OPTIONS": "allow_other, auto_unmount", "WXMEDIAFS_LOG_LEVEL": "info"]
        let settings = try Settings.resolve(flags: SettingsLayer(logLevel: .error), environment: environment, file: config)
        #expect(settings.apiBase == "http://file.example" && settings.origins[.apiBase] == .file(path))
        #expect(settings.cacheSize.bytes == 536_870_912 && settings.origins[.cacheSize] == .environment("WXMEDIAFS_CACHE_SIZE"))
        #expect(settings.negativeTTL == 30 && settings.origins[.negativeTTL] == .file(path))
        #expect(settings.logLevel == .error && settings.origins[.logLevel] == .flag)
        #expect(settings.mountOptions == ["allow_other", "auto_unmount"])
        #expect(settings.tokenMode == .stable && settings.origins[.tokenMode] == .builtIn)
        #expect(settings.configFile == path)
    }

    @Test func appidFromWXMEDIAFS_APPIDOverWECHAT_APPIDOverTheFile() throws {
        let config = try file(#"appid = "wxfile""#)
        let legacy = try Settings.resolve(flags: SettingsLayer(), environment: ["WECHAT_APPID": "wxlegacy"], file: config)
        #expect(legacy.appid == "wxlegacy" && legacy.origins[.appid] == .environment("WECHAT_APPID"))
        let both = try Settings.resolve(flags: SettingsLayer(), environment: ["WECHAT_APPID": "wxlegacy", "WXMEDIAFS_APPID": "wxnew"], file: config)
        #expect(both.appid == "wxnew" && both.origins[.appid] == .environment("WXMEDIAFS_APPID"))
        let flag = try Settings.resolve(flags: SettingsLayer(appid: "wxflag"), environment: ["WXMEDIAFS_APPID": "wxnew"], file: config)
        #expect(flag.appid == "wxflag" && flag.origins[.appid] == .flag)
        let emptyVariable = try Settings.resolve(flags: SettingsLayer(), environment: ["WECHAT_APPID": ""], file: config)
        #expect(emptyVariable.appid == "wxfile" && emptyVariable.origins[.appid] == .file(path))
    }

    @Test func theSecretFollowsTheSamePrecedence() throws {
        let config = try file(#"secret_file = "/etc/wxmediafs/secret""#)
        let secret = ["WECHAT_APPSECRET": "not-shown"]
        #expect(try Settings.resolve(flags: SettingsLayer(), environment: [:], file: config).secret == .file("/etc/wxmediafs/secret"))
        #expect(try Settings.resolve(flags: SettingsLayer(), environment: secret, file: config).secret == .environment("WECHAT_APPSECRET"))
        #expect(try Settings.resolve(flags: SettingsLayer(secretFile: "/run/s"), environment: secret, file: config).secret == .file("/run/s"))
        let fromVariable = secret.merging(["WXMEDIAFS_SECRET_FILE": "/run/env-s"]) { $1 }
        #expect(try Settings.resolve(flags: SettingsLayer(), environment: fromVariable, file: config).secret == .file("/run/env-s"))
        #expect(try Settings.resolve(flags: SettingsLayer(), environment: [:], file: nil).secret == .none)
    }

    @Test func theCallbackSecretsFollowTheSamePrecedenceAndAreNeverShown() throws {
        let config = try file("""
            callback_listen = "127.0.0.1:8081"
            callback_token_file = "/etc/wxmediafs/push-token"
            """)
        let fromFile = try Settings.resolve(flags: SettingsLayer(), environment: [:], file: config)
        #expect(fromFile.callbackListen == ListenAddress("127.0.0.1:8081") && fromFile.callbackToken == .file("/etc/wxmediafs/push-token"))
        #expect(fromFile.callbackAESKey == .none)
        let variables = ["WXMEDIAFS_CALLBACK_TOKEN": "t0ken-value", "WXMEDIAFS_CALLBACK_AES_KEY": "k3y-value"]
        let fromVariables = try Settings.resolve(flags: SettingsLayer(), environment: variables, file: config)
        #expect(fromVariables.callbackToken == .environment("WXMEDIAFS_CALLBACK_TOKEN"), "the variable wins over the file's key")
        #expect(fromVariables.callbackAESKey == .environment("WXMEDIAFS_CALLBACK_AES_KEY"))
        let flags = SettingsLayer(callbackTokenFile: "/run/token", callbackAESKeyFile: "/run/key")
        let fromFlags = try Settings.resolve(flags: flags, environment: variables, file: config)
        #expect(fromFlags.callbackToken == .file("/run/token") && fromFlags.callbackAESKey == .file("/run/key"))
        let report = fromVariables.report(readable: { _ in true })
        #expect(report.contains(#"callback_listen = "127.0.0.1:8081"  # /etc/wxmediafs/test.toml"#))
        #expect(report.contains("# callback token: <redacted> (from WXMEDIAFS_CALLBACK_TOKEN)"))
        #expect(report.contains("# callback EncodingAESKey: <redacted> (from WXMEDIAFS_CALLBACK_AES_KEY)"))
        #expect(!report.joined().contains("t0ken-value") && !report.joined().contains("k3y-value"))
        // Without callback_listen none of it is shown or needed.
        #expect(!(try Settings.resolve(flags: SettingsLayer(), environment: [:], file: nil)).report().joined().contains("callback token"))
    }

    @Test func theCallbackConfigurationReadsItsSecretsAndNamesOnlyTheirSource() throws {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        let listen = SettingsLayer(callbackListen: ListenAddress("127.0.0.1:8081"))
        let none = try Settings.resolve(flags: SettingsLayer(), environment: ["WXMEDIAFS_CALLBACK_TOKEN": "t"], file: nil)
        #expect(try none.callbackConfiguration(environment: ["WXMEDIAFS_CALLBACK_TOKEN": "t"]) == nil, "no callback_listen: no callback")
        let plainEnvironment = ["WXMEDIAFS_CALLBACK_TOKEN": " t0ken-value\n"]
        let plain = try Settings.resolve(flags: listen, environment: plainEnvironment, file: nil).callbackConfiguration(environment: plainEnvironment)
        #expect(plain?.token == "t0ken-value" && plain?.cipher == nil)
        #expect(throws: ConfigError.self) { try Settings.resolve(flags: listen, environment: [:], file: nil).callbackConfiguration(environment: [:]) }
        let safeEnvironment = ["WXMEDIAFS_CALLBACK_TOKEN": "t", "WXMEDIAFS_CALLBACK_AES_KEY": key, "WECHAT_APPID": "wx1"]
        let safe = try Settings.resolve(flags: listen, environment: safeEnvironment, file: nil).callbackConfiguration(environment: safeEnvironment)
        #expect(safe?.cipher?.appID == "wx1")
        var noAppID = safeEnvironment
        noAppID["WECHAT_APPID"] = nil
        #expect(throws: ConfigError.self) { try Settings.resolve(flags: listen, environment: noAppID, file: nil).callbackConfiguration(environment: noAppID) }
        var badKey = safeEnvironment
        badKey["WXMEDIAFS_CALLBACK_AES_KEY"] = "k3y-value"
        do {
            _ = try Settings.resolve(flags: listen, environment: badKey, file: nil).callbackConfiguration(environment: badKey)
            Issue.record("a bad key was taken")
        } catch {
            #expect(error.message.contains("WXMEDIAFS_CALLBACK_AES_KEY") && !error.message.contains("k3y-value"), "\(error)")
        }
        #expect(throws: ConfigError.self) {
            try Settings.resolve(flags: SettingsLayer(callbackListen: ListenAddress("127.0.0.1:8081"), callbackTokenFile: "/nonexistent/token"),
                                 environment: [:], file: nil).callbackConfiguration(environment: [:])
        }
    }

    @Test func aBadVariableNamesItselfAndTheFix() throws {
        #expect(throws: ConfigError("WXMEDIAFS_NEGATIVE_TTL=-1: not a number of seconds (0 or more)")) {
            try Settings.resolve(flags: SettingsLayer(), environment: ["WXMEDIAFS_NEGATIVE_TTL": "-1"], file: nil)
        }
        #expect(throws: ConfigError("WXMEDIAFS_TOKEN_MODE=fast: not stable or classic")) {
            try Settings.resolve(flags: SettingsLayer(), environment: ["WXMEDIAFS_TOKEN_MODE": "fast"], file: nil)
        }
        #expect(throws: ConfigError("WXMEDIAFS_METRICS_LISTEN=9100: not HOST:PORT (e.g. 127.0.0.1:9100, [::1]:9100)")) {
            try Settings.resolve(flags: SettingsLayer(), environment: ["WXMEDIAFS_METRICS_LISTEN": "9100"], file: nil)
        }
        #expect(throws: ConfigError("WXMEDIAFS_TIMEOUT=0: not a number of seconds (more than 0)")) {
            try Settings.resolve(flags: SettingsLayer(), environment: ["WXMEDIAFS_TIMEOUT": "0"], file: nil)
        }
        // --timeout: 30 s by default, a file's value under the flag's.
        #expect(try Settings.resolve(flags: SettingsLayer(), environment: [:], file: nil).timeout == 30)
        let timeoutFile = try file("timeout = 5")
        #expect(try Settings.resolve(flags: SettingsLayer(), environment: [:], file: timeoutFile).timeout == 5)
        #expect(try Settings.resolve(flags: SettingsLayer(timeout: 2.5), environment: [:], file: timeoutFile).timeout == 2.5)
        // Variables that are not settings are left alone.
        _ = try Settings.resolve(flags: SettingsLayer(), environment: ["WXMEDIAFS_BIN": "/x", "WXMEDIAFS_CONFIG": "/y"], file: nil)
    }

    @Test func theReportSaysWhereEachValueCameFromAndNeverTheSecret() throws {
        let config = try file(#"cache_size = "1G""#)
        let environment = ["WXMEDIAFS_CACHE_DIR": "/srv/wx", "WECHAT_APPSECRET": "s3cr3t-value", "HOME": "/home/op", "WECHAT_APPID": "wx1"]
        let settings = try Settings.resolve(flags: SettingsLayer(negativeTTL: 2.5), environment: environment, file: config)
        let report = settings.report(readable: { _ in true })
        #expect(report.contains(#"cache_dir = "/srv/wx"  # env WXMEDIAFS_CACHE_DIR"#))
        #expect(report.contains(#"cache_size = "1G"  # /etc/wxmediafs/test.toml"#))
        #expect(report.contains("negative_ttl = 2.5  # flag"))
        #expect(report.contains(#"appid = "wx1"  # env WECHAT_APPID"#))
        #expect(report.contains(#"api_base = "https://api.weixin.qq.com"  # default"#))
        #expect(report.contains("# token_file: not set"))
        #expect(report.contains("# appsecret: <redacted> (from WECHAT_APPSECRET)"))
        #expect(!report.joined().contains("s3cr3t-value"))
    }

    @Test func theReportReadsBackAsTheSameConfiguration() throws {
        let config = try file("""
            api_base = "http://127.0.0.1:8080"
            appid = "wx\\"quoted\\""
            token_mode = "classic"
            cache_size = "1536M"
            negative_ttl = 0.25
            log_format = "json"
            metrics_listen = "[::1]:9100"
            max_calls_per_day = 5000
            mount_options = ["allow_other", "auto_unmount"]
            """)
        let settings = try Settings.resolve(flags: SettingsLayer(), environment: ["HOME": "/h"], file: config)
        let again = try ConfigFile.parse(settings.report().joined(separator: "\n"), path: "/again.toml")
        #expect(again.layer.appid == "wx\"quoted\"")
        #expect(again.layer.tokenMode == .classic && again.layer.logFormat == .json)
        #expect(again.layer.cacheSize?.bytes == 1536 << 20 && again.layer.negativeTTL == 0.25)
        #expect(again.layer.metricsListen == ListenAddress("[::1]:9100") && again.layer.maxCallsPerDay == 5000)
        #expect(again.layer.mountOptions == ["allow_other", "auto_unmount"] && again.layer.cacheDir == "/h/.cache/wxmediafs")
    }
}
