import ArgumentParser
import Foundation

// WxMediaFSCLI: argument parsing and the single composition root. Every subcommand builds what it needs
// from its options here (token source, API client, cache, filesystem, bridge); libraries only take a Logger.

@available(macOS 10.15, *)
public struct WxMediaFSCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "wxmediafs",
        abstract: "WeChat Official Account temporary media (临时素材) as a filesystem.",
        version: BuildInfo.line,
        subcommands: [MountCommand.self, StatusCommand.self, IngestCommand.self, GetCommand.self, UploadCommand.self, QuotaCommand.self, SimCommand.self, DemoCommand.self,
                      CacheCommand.self, SettingsCommand.self]
    )

    public init() {}
}

@available(macOS 10.15, *)
extension WxMediaFSCommand {
    /// The entry point: parses argv and runs the (async) subcommand. The FUSE helper form that mount(8) uses
    /// (`wxmediafs SOURCE MOUNTPOINT -o …`) becomes `mount`, detached once ready unless `-f` is given.
    public static func runMain() async {
        DescriptorLimit.raise()
        var arguments = Array(CommandLine.arguments.dropFirst())
        do {
            let subcommands = Set(configuration.subcommands.map { $0._commandName })
            if let helper = try MountHelperArguments(arguments, subcommands: subcommands) {
                if !helper.foreground { Foundation.exit(Daemon.start(helper.mountArguments)) }
                arguments = helper.mountArguments
            }
        } catch {
            FileHandle.standardError.write(Data("wxmediafs: \(error)\n".utf8))
            Foundation.exit(22)  // EINVAL, like any bad argument of a mount helper
        }
        do {
            var command = try parseAsRoot(arguments)
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
