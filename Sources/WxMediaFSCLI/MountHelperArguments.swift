/// The command line mount(8) gives a FUSE helper, turned into `wxmediafs mount …`.
///
/// `mount -t fuse.wxmediafs wxmediafs /mnt/wx -o appid=…,secret_file=…` (or the same fstab line) makes
/// mount.fuse3 run `wxmediafs wxmediafs /mnt/wx -o rw,appid=…,secret_file=…,dev,suid` with PATH reset to the
/// system's: SOURCE (ignored; empty sources are left out), MOUNTPOINT, one `-o` string. Our settings come as
/// `key=value` options named like the config file's keys; every other option is a FUSE mount option, except
/// those meant for mount(8) or systemd alone (`_netdev`, `nofail`, `x-systemd.*`, …), which are dropped.
/// `-f` keeps it in the foreground (systemd, debugging); otherwise it detaches once the mount is ready.
struct MountHelperArguments: Equatable {
    var foreground = false
    /// The `mount` subcommand's arguments, e.g. `["mount", "/mnt/wx", "--appid", "wx…", "-o", "allow_other"]`.
    var mountArguments: [String]

    /// Settings accepted as `-o key=value`, with the `mount` flag each one becomes.
    static let settings: [String: String] = [
        "appid": "--appid", "secret_file": "--secret-file", "api_base": "--api-base", "token_mode": "--token-mode",
        "token_file": "--token-file", "cache_dir": "--cache-dir", "cache_size": "--cache-size",
        "negative_ttl": "--negative-ttl", "timeout": "--timeout", "log_level": "--log-level", "config": "--config", "log_file": "--log-file",
        "max_calls_per_day": "--max-calls-per-day", "log_format": "--log-format", "metrics_listen": "--metrics-listen",
        "callback_listen": "--callback-listen", "callback_token_file": "--callback-token-file",
        "callback_aes_key_file": "--callback-aes-key-file",
    ]

    /// Options for mount(8), mount.fuse3 or systemd, never for the filesystem; and the defaults mount(8) and
    /// mount.fuse3 always add (`rw`, `dev`, `suid`, …), which would otherwise replace the config file's
    /// `mount_options` (an `-o` given is a flag, and flags win).
    static func isForMountAlone(_ option: String) -> Bool {
        ["_netdev", "nofail", "noauto", "auto", "user", "users", "nouser", "owner", "group", "defaults", "foreground",
         "rw", "dev", "suid", "exec", "async"].contains(option)
            || option.hasPrefix("x-") || option.hasPrefix("comment=")
    }

    /// A secret has no place on a command line (argv is public): refused by name, never echoed.
    static let secretKeys: Set<String> = ["secret", "appsecret", "app_secret", "access_token", "callback_token", "callback_aes_key",
                                          "token", "aes_key", "encoding_aes_key"]

    init(foreground: Bool, mountArguments: [String]) {
        self.foreground = foreground
        self.mountArguments = mountArguments
    }

    /// nil when `arguments` (argv without the program) are not the helper form: the first one is a subcommand
    /// or an option, or no mountpoint is given.
    init?(_ arguments: [String], subcommands: Set<String>) throws {
        guard let first = arguments.first, !first.hasPrefix("-"), !subcommands.contains(first), first != "help" else { return nil }
        var positionals: [String] = []
        var settings: [String] = []
        var fuseOptions: [String] = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "-f", "--foreground":
                foreground = true
            case "-d":
                foreground = true
                settings += ["--log-level", "debug"]
            case "-s":
                continue  // single-threaded: a libfuse convention with no meaning here
            case "-o":
                guard let list = rest.popFirst() else { throw HelperError("-o needs a value") }
                for option in list.split(separator: ",").map(String.init) where !option.isEmpty {
                    if option == "foreground" { foreground = true }
                    if Self.isForMountAlone(option) { continue }
                    let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                    guard !Self.secretKeys.contains(parts[0]) else {
                        throw HelperError("-o \(parts[0])=… is refused: a secret does not belong in mount options (argv is public); use secret_file=PATH (callback_token_file=PATH, callback_aes_key_file=PATH for the callback's)")
                    }
                    if let flag = Self.settings[parts[0]] {
                        guard parts.count == 2, !parts[1].isEmpty else { throw HelperError("-o \(parts[0]) needs a value (\(parts[0])=…)") }
                        settings += [flag, parts[1]]
                    } else {
                        fuseOptions.append(option)
                    }
                }
            default:
                if argument.hasPrefix("-o"), argument.count > 2 {
                    rest.insert(contentsOf: ["-o", String(argument.dropFirst(2))], at: rest.startIndex)
                } else if argument.hasPrefix("-") {
                    throw HelperError("unknown option \(argument) (mount helper form: wxmediafs SOURCE MOUNTPOINT [-f] [-o key=value,…])")
                } else {
                    positionals.append(argument)
                }
            }
        }
        guard (1...2).contains(positionals.count) else {
            throw HelperError("expected SOURCE MOUNTPOINT, got \(positionals.count) argument(s) (see wxmediafs mount --help)")
        }
        mountArguments = ["mount", positionals[positionals.count - 1]] + settings
        if !fuseOptions.isEmpty { mountArguments += ["-o", fuseOptions.joined(separator: ",")] }
    }

    struct HelperError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
