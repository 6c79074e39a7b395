import Foundation
import Logging

/// The only place logging is bootstrapped: standard error, at the level asked, as text (swift-log's
/// StreamLogHandler) or JSON lines (JSONLogHandler). Either way every line passes through RedactingLogHandler.
enum LogSetup {
    nonisolated(unsafe) private static var done = false

    /// `file`: also append every line there, as JSON lines (a detached mount has no standard error).
    static func logger(_ label: String, level: String, format: LogFormat = .text, file: String? = nil) -> Logger {
        if !done {
            done = true
            let chosen = Logger.Level(rawValue: level) ?? .warning
            let appender = file.flatMap(LogFileAppender.init)
            LoggingSystem.bootstrap { name in
                let toStandardError = Self.handler(name, format: format)
                let inner: any LogHandler = appender.map { appender in
                    MultiplexLogHandler([toStandardError, JSONLogHandler(label: name, write: appender.append)])
                } ?? toStandardError
                var handler = RedactingLogHandler(inner)
                handler.logLevel = chosen
                return handler
            }
        }
        return Logger(label: label)
    }

    static func handler(_ label: String, format: LogFormat) -> any LogHandler {
        switch format {
        case .text: StreamLogHandler.standardError(label: label)
        case .json: JSONLogHandler(label: label)
        }
    }
}

/// Appends whole lines to a log file opened once (O_APPEND: logrotate's copytruncate keeps working).
final class LogFileAppender: Sendable {
    private let descriptor: Int32
    private let lock = NSLock()

    init?(_ path: String) {
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            FileHandle.standardError.write(Data("wxmediafs: cannot open the log file \(path): \(String(cString: strerror(errno))); logging to standard error only\n".utf8))
            return nil
        }
    }

    deinit { close(descriptor) }

    @Sendable func append(_ line: String) {
        lock.withLock {
            let bytes = Array(line.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
