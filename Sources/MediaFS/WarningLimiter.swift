import Locking
import Logging
import Synchronization

/// Warnings a user must see, without a flood: the first of each cause is logged at once, the next ones of that
/// cause within `interval` are counted, and the next line of that cause says how many there were. A failing
/// disk or upstream gives one line a minute per cause, not one per request. Causes are bounded (the oldest go).
public final class WarningLimiter: Sendable {
    public static let interval: Double = 60
    static let causes = 1_000

    private struct Cause {
        var last: Double
        var suppressed: Int
    }

    private let state = Mutex<[String: Cause]>([:])
    private let logger: Logger
    private let clock: @Sendable () -> Double

    public init(logger: Logger, clock: @escaping @Sendable () -> Double) {
        self.logger = logger
        self.clock = clock
    }

    /// Logs `message` at warning unless `cause` was logged less than `interval` ago (then it is counted).
    public func warn(cause: String, _ message: @autoclosure () -> String) {
        let now = clock()
        let suppressed: Int? = state.locked { causes in
            if let known = causes[cause], now - known.last < Self.interval {
                causes[cause]?.suppressed += 1
                return nil
            }
            if causes.count >= Self.causes, let oldest = causes.min(by: { $0.value.last < $1.value.last })?.key {
                causes.removeValue(forKey: oldest)
            }
            let count = causes[cause]?.suppressed ?? 0
            causes[cause] = Cause(last: now, suppressed: 0)
            return count
        }
        guard let suppressed else { return }
        let more = suppressed > 0 ? " (and \(suppressed) more like it in the last \(Int(Self.interval)) s)" : ""
        logger.warning("\(message())\(more)")
    }
}
