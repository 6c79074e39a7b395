import Foundation
import Logging

/// The only place logging is bootstrapped: standard error, at the level asked, as text (swift-log's
/// StreamLogHandler) or JSON lines (JSONLogHandler). Either way every line passes through RedactingLogHandler.
enum LogSetup {
    nonisolated(unsafe) private static var done = false

    static func logger(_ label: String, level: String, format: LogFormat = .text) -> Logger {
        if !done {
            done = true
            let chosen = Logger.Level(rawValue: level) ?? .warning
            LoggingSystem.bootstrap { name in
                var handler = RedactingLogHandler(Self.handler(name, format: format))
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
