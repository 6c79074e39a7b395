import Foundation
import Logging

/// The only place logging is bootstrapped: standard error, at the level asked.
enum LogSetup {
    nonisolated(unsafe) private static var done = false

    static func logger(_ label: String, level: String) -> Logger {
        if !done {
            done = true
            let chosen = Logger.Level(rawValue: level) ?? .warning
            LoggingSystem.bootstrap { name in
                var handler = StreamLogHandler.standardError(label: name)
                handler.logLevel = chosen
                return handler
            }
        }
        return Logger(label: label)
    }
}
