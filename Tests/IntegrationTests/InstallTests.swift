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

    @Test func theManPageRenders() async throws {
        let page = try staged("/usr/local/share/man/man1/wxmediafs.1")
        let rendered = await Harness.run(["man", "-l", page], environment: ["MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"])
        #expect(rendered.status == 0, "\(rendered.error)")
        for text in ["wxmediafs", "mount", "--metrics-listen", "EXAMPLES"] { #expect(rendered.output.contains(text), "man page lacks \(text)") }
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
