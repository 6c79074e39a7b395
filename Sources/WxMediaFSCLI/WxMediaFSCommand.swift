import ArgumentParser

// WxMediaFSCLI: argument parsing and the single composition root. Every subcommand builds what it needs
// from its options here (token source, API client, cache, filesystem, bridge); libraries only take a Logger.

@available(macOS 10.15, *)
public struct WxMediaFSCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "wxmediafs",
        abstract: "WeChat Official Account temporary media (临时素材) as a filesystem.",
        subcommands: [MountCommand.self, GetCommand.self, UploadCommand.self, SimCommand.self, DemoCommand.self, CacheCommand.self, SettingsCommand.self]
    )

    public init() {}
}

@available(macOS 10.15, *)
extension WxMediaFSCommand {
    /// The entry point: parses argv and runs the (async) subcommand.
    public static func runMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
