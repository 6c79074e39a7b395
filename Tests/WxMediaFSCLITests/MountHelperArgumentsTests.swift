import Testing
@testable import WxMediaFSCLI
@testable import FuseBridge

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
            "-o", "allow_other",
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

    @Test func mountDefaultsDoNotReplaceTheConfiguredOptions() throws {
        // mount(8) and mount.fuse3 always add rw,dev,suid: passed on, they would replace mount_options.
        let parsed = try MountHelperArguments(["wxmediafs", "/mnt/wx", "-o", "rw,config=/etc/wxmediafs/config.toml,dev,suid"], subcommands: subcommands)
        #expect(parsed?.mountArguments == ["mount", "/mnt/wx", "--config", "/etc/wxmediafs/config.toml"])
    }

    @Test func aSecretInTheOptionsIsRefusedWithoutEchoingIt() {
        do {
            _ = try MountHelperArguments(["src", "/m", "-o", "appid=wx1,appsecret=TopSecret123"], subcommands: subcommands)
            Issue.record("accepted a secret in -o")
        } catch {
            #expect("\(error)".contains("secret_file") && !"\(error)".contains("TopSecret123"))
        }
    }

    @Test func theCallbackSecretsAreRefusedAndTheirFilesPassedOn() throws {
        for option in ["callback_token=PushTok3n", "callback_aes_key=PushTok3n", "token=PushTok3n"] {
            do {
                _ = try MountHelperArguments(["src", "/m", "-o", "appid=wx1,\(option)"], subcommands: subcommands)
                Issue.record("accepted \(option)")
            } catch {
                #expect(!"\(error)".contains("PushTok3n") && "\(error)".contains("callback_token_file"), "\(error)")
            }
        }
        let parsed = try MountHelperArguments(
            ["src", "/m", "-o", "callback_listen=127.0.0.1:8081,callback_token_file=/etc/t,callback_aes_key_file=/etc/k"], subcommands: subcommands)
        #expect(parsed?.mountArguments == ["mount", "/m", "--callback-listen", "127.0.0.1:8081", "--callback-token-file", "/etc/t",
                                           "--callback-aes-key-file", "/etc/k"])
    }

    @Test func badHelperLinesSayWhy() {
        #expect(throws: MountHelperArguments.HelperError.self) { try MountHelperArguments(["src", "/m", "-o", "appid="], subcommands: subcommands) }
        #expect(throws: MountHelperArguments.HelperError.self) { try MountHelperArguments(["a", "b", "c"], subcommands: subcommands) }
        #expect(throws: MountHelperArguments.HelperError.self) { try MountHelperArguments(["src", "/m", "--bogus"], subcommands: subcommands) }
    }
}

/// /proc/self/mountinfo as the kernel writes it: paths with spaces, tabs or backslashes come octal-escaped.
@Suite struct MountInfoTests {
    @Test func escapedMountpointsAreFound() {
        let text = """
            36 35 98:0 / /mnt/plain rw,relatime shared:1 - ext4 /dev/sda1 rw
            52 36 0:48 / /mnt/wx\\040media rw,nosuid - fuse.wxmediafs wxmediafs rw,user_id=0
            53 36 0:49 / /mnt/a\\011b\\134c rw - fuse.other src rw
            """
        let entries = MountInfo.entries(text)
        #expect(entries.map(\.mountpoint) == ["/mnt/plain", "/mnt/wx media", "/mnt/a\tb\\c"])
        #expect(entries[1] == MountInfo.Entry(device: "0:48", mountpoint: "/mnt/wx media", type: "fuse.wxmediafs"))
    }
}
