import Foundation

/// Wall time in seconds and a way to wait: injected so tests drive expiry and backoff with a manual clock.
public protocol APIClock: Sendable {
    func now() -> Double
    func sleep(seconds: Double) async throws
}

public struct SystemClock: APIClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }
}

/// A clock that only moves when told to; `sleep` advances it instead of waiting.
public final class ManualClock: APIClock, @unchecked Sendable {
    private let lock = NSLock()  // guards `time`
    private var time: Double

    public init(now: Double = 1_786_000_000) { time = now }

    public func now() -> Double { lock.withLock { time } }
    public func advance(by seconds: Double) { lock.withLock { time += seconds } }
    public func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        lock.withLock { time += max(0, seconds) }
    }
}
