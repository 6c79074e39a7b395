import ArgumentParser

/// `--config FILE`, on every command that reads settings.
struct ConfigFileOption: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp(
        "Config file (default: $WXMEDIAFS_CONFIG, else \(ConfigFile.standardPath) if it exists); WXMEDIAFS_* variables and flags override it.",
        valueName: "file"
    ))
    var path: String?
}
