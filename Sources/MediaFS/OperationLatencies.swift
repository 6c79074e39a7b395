import Locking
import Synchronization

/// The FUSE operations whose latency is measured (FuseBridge times each request from its C callback to the end
/// of its work); the raw value is the `op` label of the metrics and the key in `.wxmediafs/stats`.
public enum FSOperation: String, CaseIterable, Sendable, Codable {
    case lookup, getattr, readlink, open, read, release, opendir, readdir, releasedir, forget, statfs
    case create, write, flush, setattr, unlink, getxattr
}

/// Latency histograms per FUSE operation, with fixed buckets from 100 µs to 10 s (the same bounds the
/// Prometheus histograms use, so `.wxmediafs/stats` and `/metrics` agree). Thread-safe: one Mutex guards the
/// counts and the observer. The observer (installed by the composition root, e.g. a metrics exporter) hears of
/// every measurement; it is called outside the lock.
public final class OperationLatencies: Sendable {
    /// Upper bounds of the buckets, in seconds; a measurement above the last one counts in `+Inf` only.
    public static let bucketBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    struct Histogram {
        /// Per bucket (not cumulative); the last slot is above every bound.
        var counts = [Int](repeating: 0, count: OperationLatencies.bucketBounds.count + 1)
        var sum: Double = 0
        var count = 0
    }

    private struct State {
        var histograms: [FSOperation: Histogram] = [:]
        var observer: (@Sendable (FSOperation, Duration) -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets the one observer of every later measurement (nil: none).
    public func observe(_ observer: (@Sendable (FSOperation, Duration) -> Void)?) {
        state.locked { $0.observer = observer }
    }

    public func record(_ operation: FSOperation, _ duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        let slot = Self.bucketBounds.firstIndex { seconds <= $0 } ?? Self.bucketBounds.count
        let observer = state.locked { state in
            state.histograms[operation, default: Histogram()].counts[slot] += 1
            state.histograms[operation]!.sum += seconds
            state.histograms[operation]!.count += 1
            return state.observer
        }
        observer?(operation, duration)
    }

    /// Runs `body` and records how long it took.
    public func time<T>(_ operation: FSOperation, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { record(operation, start.duration(to: .now)) }
        return try body()
    }

    /// A summary per operation seen so far (by the operation's name).
    public func snapshot() -> [String: LatencySummary] {
        let histograms = state.locked { $0.histograms }
        return Dictionary(uniqueKeysWithValues: histograms.map { ($0.key.rawValue, LatencySummary($0.value)) })
    }
}

/// One operation's latencies in `.wxmediafs/stats`: count, total, estimated quantiles (the upper bound of the
/// bucket where the quantile falls, as Prometheus' `histogram_quantile` would bound it) and cumulative buckets.
public struct LatencySummary: Sendable, Codable, Equatable {
    public struct Bucket: Sendable, Codable, Equatable {
        /// Upper bound in seconds.
        public var le: Double
        /// Measurements at or below `le` (cumulative).
        public var count: Int
    }

    public var count: Int
    public var sumSeconds: Double
    /// nil when the quantile lies above the last bound (10 s).
    public var p50Seconds: Double?
    public var p99Seconds: Double?
    public var buckets: [Bucket]

    init(_ histogram: OperationLatencies.Histogram) {
        count = histogram.count
        sumSeconds = histogram.sum
        var running = 0
        buckets = OperationLatencies.bucketBounds.enumerated().map { index, bound in
            running += histogram.counts[index]
            return Bucket(le: bound, count: running)
        }
        p50Seconds = Self.quantile(0.5, buckets, count: histogram.count)
        p99Seconds = Self.quantile(0.99, buckets, count: histogram.count)
    }

    static func quantile(_ q: Double, _ buckets: [Bucket], count: Int) -> Double? {
        guard count > 0 else { return nil }
        let rank = q * Double(count)
        return buckets.first { Double($0.count) >= rank }?.le
    }
}
