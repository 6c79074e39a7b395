import Foundation
import Logging

/// The only place logging is bootstrapped: standard error, at the level asked, as text (swift-log's
/// StreamLogHandler) or JSON lines (JSONLogHandler). Either way every line passes through RedactingLogHandler.
enum LogSetup {
    nonisolated(unsafe) private static var done = false

    /// `file`: also append every line there, in the same format (a detached mount has no standard error). The
    /// file is opened again on SIGHUP, so logrotate may move it (`postrotate: systemctl kill -s HUP …`).
    static func logger(_ label: String, level: String, format: LogFormat = .text, file: String? = nil) -> Logger {
        if !done {
            done = true
            let chosen = Logger.Level(rawValue: level) ?? .warning
            let appender = file.flatMap(LogFileAppender.init)
            appender?.reopenOnHangup()
            LoggingSystem.bootstrap { name in
                let toStandardError = Self.handler(name, format: format)
                let inner: any LogHandler = appender.map { appender in
                    let toFile: any LogHandler = switch format {
                    case .text: TextLineLogHandler(label: name, write: appender.append)
                    case .json: JSONLogHandler(label: name, write: appender.append)
                    }
                    return MultiplexLogHandler([toStandardError, toFile])
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

/// Appends whole lines to a log file (O_APPEND: logrotate's copytruncate works), opened again on SIGHUP (so a
/// rotation that moves the file works too). Mode 0640, as syslog's files.
final class LogFileAppender: @unchecked Sendable {
    private let path: String
    private var descriptor: Int32  // guarded by `lock`
    private let lock = NSLock()
    private var hangups: (any DispatchSourceSignal)?

    init?(_ path: String) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            FileHandle.standardError.write(Data("wxmediafs: cannot open the log file \(path): \(String(cString: strerror(errno))); logging to standard error only\n".utf8))
            return nil
        }
    }

    deinit { close(descriptor) }

    /// Opens the path again (after a rotation moved the file); the old descriptor is kept if that fails.
    func reopen() {
        let fresh = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fresh >= 0 else { return }
        lock.withLock {
            close(descriptor)
            descriptor = fresh
        }
    }

    func reopenOnHangup() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [weak self] in self?.reopen() }
        source.resume()
        hangups = source
    }

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
