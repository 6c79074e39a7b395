import ArgumentParser
import Testing
@testable import WxMediaFSCLI

/// `max_calls_per_day`: the mount flag, WXMEDIAFS_MAX_CALLS_PER_DAY and the config file, in that order; and the
/// mount helper's `-o max_calls_per_day=N`.
@Suite struct MaxCallsPerDayTests {
    let path = "/etc/wxmediafs/test.toml"

    func flags(_ arguments: [String]) throws -> SettingsLayer {
        var layer = SettingsLayer()
        try MountSettingsOptions.parse(arguments).add(to: &layer)
        return layer
    }

    @Test func flagOverEnvironmentOverFile() throws {
        let config = try ConfigFile.parse("max_calls_per_day = 100", path: path)
        let environment = ["WXMEDIAFS_MAX_CALLS_PER_DAY": "50"]
        let all = try Settings.resolve(flags: try flags(["--max-calls-per-day", "3"]), environment: environment, file: config)
        #expect(all.maxCallsPerDay == 3 && all.origins[.maxCallsPerDay] == .flag)
        let noFlag = try Settings.resolve(flags: try flags([]), environment: environment, file: config)
        #expect(noFlag.maxCallsPerDay == 50 && noFlag.origins[.maxCallsPerDay] == .environment("WXMEDIAFS_MAX_CALLS_PER_DAY"))
        let fileOnly = try Settings.resolve(flags: try flags([]), environment: [:], file: config)
        #expect(fileOnly.maxCallsPerDay == 100 && fileOnly.origins[.maxCallsPerDay] == .file(path))
        let zero = try Settings.resolve(flags: try flags(["--max-calls-per-day", "0"]), environment: environment, file: config)
        #expect(zero.maxCallsPerDay == 0 && zero.origins[.maxCallsPerDay] == .flag, "0 on the command line lifts a configured limit")
        #expect(throws: (any Error).self) { try MountSettingsOptions.parse(["--max-calls-per-day", "-1"]) }
        #expect(throws: (any Error).self) { try MountSettingsOptions.parse(["--max-calls-per-day", "many"]) }
    }

    @Test func theMountHelperPassesItOn() throws {
        let parsed = try MountHelperArguments(["wxmediafs", "/mnt/wx", "-o", "appid=wx1,max_calls_per_day=5000,allow_other"],
                                              subcommands: ["mount"])
        #expect(parsed?.mountArguments == ["mount", "/mnt/wx", "--appid", "wx1", "--max-calls-per-day", "5000", "-o", "allow_other"])
    }
}
