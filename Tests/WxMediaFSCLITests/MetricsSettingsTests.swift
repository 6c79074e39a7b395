import ArgumentParser
import Testing
@testable import WxMediaFSCLI

/// `--metrics-listen` and `--log-format` resolve like every other setting: flag > environment > config file.
@Suite struct MetricsSettingsTests {
    let path = "/etc/wxmediafs/test.toml"

    /// The layer the flags of `mount` give: the API options' and the mount settings'.
    func flags(api: [String] = [], mount: [String] = []) throws -> SettingsLayer {
        var layer = try APIOptions.parse(api).flags
        try MountSettingsOptions.parse(mount).add(to: &layer)
        return layer
    }

    @Test func theFlagWinsOverTheEnvironmentAndTheFile() throws {
        let file = try ConfigFile.parse("metrics_listen = \"0.0.0.0:9100\"\nlog_format = \"text\"", path: path)
        let environment = ["WXMEDIAFS_METRICS_LISTEN": "[::1]:9200", "WXMEDIAFS_LOG_FORMAT": "json"]
        let all = try Settings.resolve(flags: try flags(api: ["--log-format", "text"], mount: ["--metrics-listen", "127.0.0.1:9464"]), environment: environment, file: file)
        #expect(all.metricsListen == ListenAddress("127.0.0.1:9464") && all.origins[.metricsListen] == .flag)
        #expect(all.logFormat == .text && all.origins[.logFormat] == .flag)
        let noFlag = try Settings.resolve(flags: try flags(), environment: environment, file: file)
        #expect(noFlag.metricsListen?.description == "[::1]:9200" && noFlag.origins[.metricsListen] == .environment("WXMEDIAFS_METRICS_LISTEN"))
        #expect(noFlag.logFormat == .json)
        let fileOnly = try Settings.resolve(flags: try flags(), environment: [:], file: file)
        #expect(fileOnly.metricsListen?.description == "0.0.0.0:9100" && fileOnly.origins[.metricsListen] == .file(path))
    }

    @Test func badFlagValuesAreRefused() {
        #expect(throws: (any Error).self) { try MountSettingsOptions.parse(["--metrics-listen", "9464"]) }
        #expect(throws: (any Error).self) { try MountSettingsOptions.parse(["--metrics-listen", "::1:9464"]) }
        #expect(throws: (any Error).self) { try APIOptions.parse(["--log-format", "xml"]) }
    }

    @Test func theMountHelperPassesBoth() throws {
        let parsed = try MountHelperArguments(["wxmediafs", "/mnt/wx", "-o", "metrics_listen=127.0.0.1:9464,log_format=json,allow_other"],
                                              subcommands: ["mount"])
        #expect(parsed?.mountArguments == ["mount", "/mnt/wx", "--metrics-listen", "127.0.0.1:9464", "--log-format", "json", "-o", "allow_other"])
    }
}
