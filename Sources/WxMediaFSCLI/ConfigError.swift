import ArgumentParser

/// A setting that cannot be used, from a config file, the environment or a flag: one line naming where it came
/// from, the key and the fix. Commands end with exit status 78 (EX_CONFIG, sysexits.h) for it.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }

    static let exitCode = ExitCode(78)
}
