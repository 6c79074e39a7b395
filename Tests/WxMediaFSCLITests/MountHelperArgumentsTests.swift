import Testing
@testable import WxMediaFSCLI

/// What mount.fuse3 passes (argv observed with strace on Debian 12: SOURCE MOUNTPOINT -o ONE_STRING) becomes the
/// `mount` subcommand's arguments.
@Suite struct MountHelperArgumentsTests {
    let subcommands: Set<String> = ["mount", "get", "cache", "config"]

    @Test func anFstabLineBecomesMount() throws {
        let parsed = try MountHelperArguments(
            ["wxmediafs", "/mnt/wx", "-o", "rw,appid=wx123,secret_file=/etc/wxmediafs/secret,cache_dir=/var/cache/wx,allow_other,dev,suid"],
            subcommands: subcommands
        )
        #expect(parsed == MountHelperArguments(foreground: false, mountArguments: [
            "mount", "/mnt/wx", "--appid", "wx123", "--secret-file", "/etc/wxmediafs/secret", "--cache-dir", "/var/cache/wx",
            "-o", "rw,allow_other,dev,suid",
        ]))
    }

    @Test func optionsForMountAloneAreDroppedAndDashFStaysInFront() throws {
        let parsed = try MountHelperArguments(
            ["/mnt/wx", "-f", "-o", "_netdev,nofail,x-systemd.automount,comment=x,noauto,appid=wx1"], subcommands: subcommands
        )
        #expect(parsed?.foreground == true)
        #expect(parsed?.mountArguments == ["mount", "/mnt/wx", "--appid", "wx1"])
        #expect(try MountHelperArguments(["src", "/m", "-oappid=wx2,ro"], subcommands: subcommands)?.mountArguments == ["mount", "/m", "--appid", "wx2", "-o", "ro"])
    }

    @Test func subcommandsAndOptionsAreNotTheHelperForm() throws {
        #expect(try MountHelperArguments(["mount", "/mnt/wx"], subcommands: subcommands) == nil)
        #expect(try MountHelperArguments(["--help"], subcommands: subcommands) == nil)
        #expect(try MountHelperArguments([], subcommands: subcommands) == nil)
    }

    @Test func badHelperLinesSayWhy() {
        #expect(throws: MountHelperArguments.HelperError.self) { try MountHelperArguments(["src", "/m", "-o", "appid="], subcommands: subcommands) }
        #expect(throws: MountHelperArguments.HelperError.self) { try MountHelperArguments(["a", "b", "c"], subcommands: subcommands) }
        #expect(throws: MountHelperArguments.HelperError.self) { try MountHelperArguments(["src", "/m", "--bogus"], subcommands: subcommands) }
    }
}
