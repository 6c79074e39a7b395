import Foundation
import Testing
import Scratch

/// Help an admin can act on: every subcommand shows examples; progress bars only on a terminal.
@Suite struct HelpTests {
    /// The subcommands `wxmediafs --help` lists, each with its examples (nested ones too: config check, cache stats…).
    @Test func everySubcommandHasExamples() async throws {
        let help = await Harness.run([Harness.binary, "--help"], environment: ["COLUMNS": "200"])
        let listed = help.output.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n")
            .compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) }
            .filter { $0 != "See" && !$0.hasPrefix("'") } ?? []
        #expect(listed.count >= 9, "\(help.output)")
        for command in listed {
            let own = await Harness.run([Harness.binary, command, "--help"], environment: ["COLUMNS": "200"])
            #expect(own.status == 0 && own.output.contains("EXAMPLES:"), "wxmediafs \(command) --help has no examples")
        }
    }

    /// Issue 19, point 7: `--version` names the release and the commit (`unknown` for a build outside scripts/install).
    @Test func versionNamesTheReleaseAndTheCommit() async throws {
        let version = await Harness.run([Harness.binary, "--version"])
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("wxmediafs ") && version.output.contains("(commit "), "\(version.output)")
    }

    /// `script` gives `get` a terminal: the progress bar is drawn there, and not with --quiet, nor into a pipe.
    @Test func progressOnATerminalOnly() async throws {
        let sim = try SimProcess()
        let item = try #require(try await sim.items().first { $0.kind == "image" })
        let directory = Scratch.directory("progress")
        func get(_ extra: String, terminal: Bool) async -> String {
            let command = "\(Harness.binary) get \(item.id) -o \(directory)/out\(extra.isEmpty ? "" : "-q") --no-cache --api-base \(sim.baseURL) --appid \(SimProcess.appID) \(extra)"
            let result = terminal ? await Harness.run(["script", "-qec", command, "/dev/null"], environment: ["WECHAT_APPSECRET": SimProcess.secret])
                : await Harness.run(["sh", "-c", command], environment: ["WECHAT_APPSECRET": SimProcess.secret])
            return result.output + result.error
        }
        #expect(await get("", terminal: true).contains("KiB ["), "a bar on a terminal")
        #expect(!(await get("--quiet", terminal: true)).contains("KiB"), "none with --quiet")
        #expect(!(await get("", terminal: false)).contains("KiB"), "none into a pipe")
    }
}
