import ArgumentParser
import Foundation
import WeChatAPI

/// `wxmediafs config …`: the configuration itself (config file, environment, flags).
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration: config file, WXMEDIAFS_* variables and flags.",
        discussion: """
            EXAMPLES:
              wxmediafs config check --config /etc/wxmediafs/config.toml
            """,
        subcommands: [ConfigCheckCommand.self]
    )
}

struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Print the effective configuration, each value with where it came from; the secret redacted.",
        discussion: """
            Precedence: flag, then environment (WXMEDIAFS_<KEY>, and WECHAT_APPID for appid), then the config file, then \
            the default. Each line is `key = value` in TOML followed by its source (# flag, # env NAME, # the file, \
            # default), so the output can be pasted into a config file. The appsecret is never shown, only where it \
            would be read from; the secret files are opened as a mount would (one that cannot be read, or that others \
            can read, fails the check). With shared_cache, the store is asked once (one listing call): wrong credentials \
            or a missing bucket fail the check; a store that does not answer now is reported on a comment line. Exit \
            status 0 if the configuration is valid; 78 (EX_CONFIG) and one line naming the file or variable, the key \
            and the fix if not.

            EXAMPLES:
              wxmediafs config check
              wxmediafs config check --config ./config.toml
              WXMEDIAFS_CACHE_DIR=/srv/wxmediafs wxmediafs config check --cache-size 8G
            """
    )

    @OptionGroup var api: APIOptions

    @OptionGroup var mount: MountSettingsOptions

    func run() async throws {
        do {
            let settings = try api.settings(mount.add)
            print(settings.report().joined(separator: "\n"))
            // The secrets are read as a mount would read them (never shown): a file that cannot be read, or that
            // others can read, fails the check, as it would fail the mount.
            if case .file(let path) = settings.secret { try Self.checkSecretFile(path, what: "secret_file") }
            _ = try settings.callbackConfiguration()
            if let client = try settings.sharedClient() {
                let problem = try await settings.probe(client)
                print("# shared store: " + (problem.map { "not answering now (\($0.message)); a mount would read from WeChat until it does" }
                    ?? "\(settings.sharedCache ?? "") answered (credentials and bucket usable)"))
            }
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("wxmediafs: \(error.message)\n".utf8))
            throw ConfigError.exitCode
        }
    }
}

extension ConfigCheckCommand {
    static func checkSecretFile(_ path: String?, what: String) throws(ConfigError) {
        guard let path else { return }
        if let problem = SecretFile.permissionProblem(path) { throw ConfigError("\(what): \(problem)") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigError("\(what): cannot read \(path) (missing? permissions?) — the mount would fail the same way")
        }
    }
}
