import Locking
import Synchronization

/// Upstream calls and bytes per endpoint, and errors by label (`errcode_40007`, `transport`, …).
public final class APICounters: Sendable {
    private let state = Mutex(UpstreamStats())
    /// Who is told how long each upstream request took to its answer's head (the metrics' histogram).
    private let latencyObserver = Mutex<LatencyObserver?>(nil)

    public init() {}

    public final class LatencyObserver: Sendable {
        let body: @Sendable (String, Duration) -> Void
        init(_ body: @escaping @Sendable (String, Duration) -> Void) { self.body = body }
    }

    /// Installs the one observer of request latencies (endpoint, time to the answer's head).
    public func observeLatency(_ body: @escaping @Sendable (_ endpoint: String, _ duration: Duration) -> Void) {
        latencyObserver.locked { $0 = LatencyObserver(body) }
    }

    package func answered(_ endpoint: String, after duration: Duration) {
        latencyObserver.locked { $0 }?.body(endpoint, duration)
    }

    package func call(_ endpoint: String) { state.locked { $0.endpoints[endpoint, default: .init()].calls += 1 } }
    package func bytes(_ endpoint: String, _ count: Int) { state.locked { $0.endpoints[endpoint, default: .init()].bytes += Int64(count) } }
    /// Errors by label; a server inventing new codes gets at most `distinctErrors` labels, then `other` (the
    /// stats file and the metrics' label sets stay bounded).
    package func error(_ error: WeChatError) {
        state.locked { stats in
            let label = error.shortDescription
            let kept = stats.errors[label] != nil || stats.errors.count < Self.distinctErrors ? label : "other"
            stats.errors[kept, default: 0] += 1
        }
    }

    static let distinctErrors = 64
    /// A token fetch succeeded (TokenProvider): a new or renewed access token is in use.
    func tokenRefreshed() { state.locked { $0.tokenRefreshes += 1 } }

    public func snapshot() -> UpstreamStats { state.locked { $0 } }
}

public struct UpstreamStats: Sendable, Codable, Equatable {
    public struct Endpoint: Sendable, Codable, Equatable {
        public var calls: Int = 0
        public var bytes: Int64 = 0
    }
    public var endpoints: [String: Endpoint] = [:]
    public var errors: [String: Int] = [:]
    /// Successful access token fetches (the first one included).
    public var tokenRefreshes: Int = 0
    public init() {}
}
