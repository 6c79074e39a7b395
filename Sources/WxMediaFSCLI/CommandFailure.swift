import ArgumentParser
import Foundation
import MediaFS
import WeChatAPI

/// Ends a command with one line on standard error naming the cause and the fix, and the status of the one table
/// every command uses (StartupFailure: 13 credentials, 69 unreachable, 77 IP whitelist, 78 a setting), else the
/// errno (2 ENOENT, 122 EDQUOT, 5 EIO, 110 ETIMEDOUT, 22 EINVAL, 27 EFBIG, 1 EPERM).
func fail(_ error: any Error, context: String, apiBase: String = "the API") -> ExitCode {
    if let config = error as? ConfigError {
        FileHandle.standardError.write(Data("wxmediafs: \(config.message)\n".utf8))
        return ConfigError.exitCode
    }
    if let failure = StartupFailure.classify(error, apiBase: apiBase) {
        FileHandle.standardError.write(Data("wxmediafs: \(context): \(failure.message)\n".utf8))
        return ExitCode(failure.status)
    }
    let fsError = FSError(error)
    FileHandle.standardError.write(Data("wxmediafs: \(context): \(fsError.message)\n".utf8))
    return ExitCode(fsError.errno.rawValue)
}
