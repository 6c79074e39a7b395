import Foundation
import Testing
import Scratch

/// What `scripts/install` lays out, staged by scripts/test under .build/install-staged (`--destdir`): each file
/// checked by the tool that will use it (bash, man, systemd-analyze).
@Suite struct InstallTests {
    static let root = FileManager.default.currentDirectoryPath + "/.build/install-staged"

    func staged(_ path: String) throws -> String {
        let full = Self.root + path
        try #require(FileManager.default.fileExists(atPath: full), "\(full) is missing: run scripts/test, which stages scripts/install")
        return full
    }

    @Test func theBinaryRuns() async throws {
        let binary = try staged("/usr/local/bin/wxmediafs")
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        let help = await Harness.run([binary, "--help"])
        #expect(help.status == 0 && help.output.contains("mount"))
    }

    /// Issue 19, point 5: `man` shows no warning, `mandoc -T lint` none either, the Chinese of NAME is kept, and the
    /// sections an admin looks for are there.
    @Test func theManPageRenders() async throws {
        let page = try staged("/usr/local/share/man/man1/wxmediafs.1")
        let rendered = await Harness.run(["man", "--warnings", "-l", page], environment: ["MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"])
        #expect(rendered.status == 0, "\(rendered.error)")
        #expect(rendered.error.isEmpty, "man warns: \(rendered.error)")
        for text in ["临时素材", "SYNOPSIS", "EXIT STATUS", "FILES", "ENVIRONMENT", "fuse.wxmediafs", "systemd-escape", "--metrics-listen"] {
            #expect(rendered.output.contains(text), "man page lacks \(text)")
        }
        let lint = await Harness.run(["mandoc", "-T", "lint", "-W", "warning", page])
        #expect(lint.status == 0 && lint.output.isEmpty, "mandoc: \(lint.output)\(lint.error)")
        // Every exit status the unit will not restart is explained in EXIT STATUS.
        let unit = try String(contentsOfFile: try staged("/etc/systemd/system/wxmediafs@.service"), encoding: .utf8)
        let statuses = unit.split(separator: "\n").first { $0.hasPrefix("RestartPreventExitStatus=") }?.split(separator: "=")[1].split(separator: " ") ?? []
        #expect(!statuses.isEmpty)
        let exitSection = rendered.output.components(separatedBy: "EXIT STATUS").last?.components(separatedBy: "EXAMPLES").first ?? ""
        for status in statuses { #expect(exitSection.contains("     \(status) "), "exit status \(status) is not explained") }
    }

    /// Issue 19, point 7: the installed binary is stripped and says its version; scripts/uninstall removes exactly
    /// what was laid out and keeps the configuration.
    @Test func theBinaryIsStrippedAndUninstallRemovesWhatInstallPut() async throws {
        let binary = try staged("/usr/local/bin/wxmediafs")
        let sections = await Harness.run(["readelf", "-S", "-W", binary])
        #expect(sections.status == 0 && !sections.output.contains(".debug_info"), "debug sections left in the installed binary")
        #expect((await Harness.run([binary, "--version"])).output.hasPrefix("wxmediafs "))
        let help = await Harness.run(["scripts/install", "--help"])
        #expect(help.status == 0 && help.output.hasPrefix("Installs wxmediafs") && help.output.contains("--destdir"), "\(help.output)")
        // A second staging of our own, to remove.
        let stage = Scratch.directory("uninstall")
        let laid = await Harness.run(["scripts/install", "--destdir", stage, "--binary", binary], timeout: 300)
        #expect(laid.status == 0, "\(laid.error)")
        let manifest = try String(contentsOfFile: stage + "/usr/local/share/wxmediafs/installed", encoding: .utf8).split(separator: "\n")
        #expect(manifest.contains("/usr/local/bin/wxmediafs") && manifest.contains("/etc/systemd/system/wxmediafs@.service"))
        try Data("appid = \"wx1\"\n".utf8).write(to: URL(fileURLWithPath: stage + "/etc/wxmediafs/config.toml"))
        let removed = await Harness.run(["scripts/uninstall", "--destdir", stage])
        #expect(removed.status == 0, "\(removed.error)")
        for file in manifest { #expect(!FileManager.default.fileExists(atPath: stage + file), "\(file) is left") }
        #expect(FileManager.default.fileExists(atPath: stage + "/etc/wxmediafs/config.toml"), "the configuration stays")
        #expect(await Harness.run(["scripts/uninstall", "--destdir", stage, "--purge-config"]).status == 2, "nothing left to remove")
    }

    @Test func theCompletionsLoad() async throws {
        let bash = try staged("/usr/local/share/bash-completion/completions/wxmediafs")
        #expect(await Harness.run(["bash", "-n", bash]).status == 0)
        let loaded = await Harness.run(["bash", "-c", "source \(bash) && complete -p wxmediafs"])
        #expect(loaded.status == 0 && loaded.output.contains("wxmediafs"), "\(loaded.error)")
        #expect(try String(contentsOfFile: try staged("/usr/local/share/zsh/site-functions/_wxmediafs"), encoding: .utf8).hasPrefix("#compdef wxmediafs"))
        #expect(try String(contentsOfFile: try staged("/usr/local/share/fish/vendor_completions.d/wxmediafs.fish"), encoding: .utf8).contains("complete -c 'wxmediafs'"))
    }

    /// systemd's own checker on an instance of the template, pointed at the staged binary.
    @Test func theUnitVerifies() async throws {
        let unit = try String(contentsOfFile: try staged("/etc/systemd/system/wxmediafs@.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("ExecStart=/usr/local/bin/wxmediafs mount %f") && unit.contains("Restart=on-failure"))
        let directory = Scratch.directory("unit")
        let instance = directory + "/wxmediafs@mnt-wx.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/wxmediafs", with: try staged("/usr/local/bin/wxmediafs"))
            .write(toFile: instance, atomically: true, encoding: .utf8)
        let verified = await Harness.run(["systemd-analyze", "verify", "--man=no", instance])
        #expect(verified.status == 0 && verified.error.isEmpty, "\(verified.error)")
    }

    @Test func theExampleConfigurationPassesConfigCheck() async throws {
        let example = try staged("/etc/wxmediafs/config.toml.example")
        let check = await Harness.run([try staged("/usr/local/bin/wxmediafs"), "config", "check", "--config", example])
        #expect(check.status == 0, "\(check.error)")
    }
}
