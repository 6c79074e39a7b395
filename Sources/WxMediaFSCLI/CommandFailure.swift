import ArgumentParser
import Foundation
import MediaFS
import WeChatAPI

/// Ends a command with one line on standard error naming the cause, and the errno as exit status
/// (2 ENOENT, 13 EACCES, 122 EDQUOT, 5 EIO, 110 ETIMEDOUT, 22 EINVAL, 27 EFBIG, 1 EPERM), or 78 (EX_CONFIG) for
/// a setting that cannot be used, whose line already names the file or variable and the key.
func fail(_ error: any Error, context: String) -> ExitCode {
    if let config = error as? ConfigError {
        FileHandle.standardError.write(Data("wxmediafs: \(config.message)\n".utf8))
        return ConfigError.exitCode
    }
    if let failure = error as? StartupFailure {
        FileHandle.standardError.write(Data("wxmediafs: \(context): \(failure.message)\n".utf8))
        return ExitCode(failure.status)
    }
    let fsError = FSError(error)
    FileHandle.standardError.write(Data("wxmediafs: \(context): \(fsError.message)\n".utf8))
    return ExitCode(fsError.errno.rawValue)
}
