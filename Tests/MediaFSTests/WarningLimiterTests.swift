import Foundation
import Locking
import Logging
import Synchronization
import Testing
@testable import MediaFS

/// Issue 19, point 3: what users see fail is a warning, one line per cause a minute, the rest counted.
@Suite struct WarningLimiterTests {
    final class Lines: Sendable {
        let captured = Mutex<[(Logger.Level, String)]>([])
        var all: [(Logger.Level, String)] { captured.locked { $0 } }
    }

    struct Capture: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.captured.locked { $0.append((event.level, event.message.description)) }
        }
    }

    @Test func oneLinePerCauseAMinuteWithACount() {
        let lines = Lines()
        let time = Mutex(1_000.0)
        let limiter = WarningLimiter(logger: Logger(label: "test") { _ in Capture(lines: lines) }, clock: { time.locked { $0 } })
        for _ in 0..<230 { limiter.warn(cause: "store: No space left on device", "the cache cannot store blocks") }
        limiter.warn(cause: "read 5 transport", "read failed with EIO")
        #expect(lines.all.count == 2)
        #expect(lines.all.allSatisfy { $0.0 == .warning })
        time.locked { $0 += 30 }
        limiter.warn(cause: "store: No space left on device", "the cache cannot store blocks")
        #expect(lines.all.count == 2, "still within the minute")
        time.locked { $0 += 31 }
        limiter.warn(cause: "store: No space left on device", "the cache cannot store blocks")
        #expect(lines.all.count == 3)
        #expect(lines.all.last?.1 == "the cache cannot store blocks (and 230 more like it in the last 60 s)")
    }
}
