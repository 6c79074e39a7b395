import Locking
import Synchronization

/// The `(timestamp, nonce)` pairs of pushes accepted within the window: a captured push URL (a proxy's log)
/// cannot carry a second body. The same pair with the same body (WeChat pushing again when our answer was lost)
/// is let through: its message is recorded once anyway (by MsgId). A pair is held from the moment its signature checks until the push is recorded,
/// and let go if recording fails, so WeChat's retry of a push we answered 500 still gets in. A pair leaves once
/// its timestamp is outside the window (the timestamp check refuses it then). Bounded: past `limit` pairs
/// within the window, pushes are refused (503) rather than the memory grown — only signed pushes get this far.
final class ReplayGuard: Sendable {
    static let limit = 100_000
    private let seen = Mutex<[String: (until: Double, body: [UInt8])]>([:])
    private let window: Double

    init(window: Double) { self.window = window }

    enum Claim { case fresh, again, replay, full }

    /// Claims the pair for a push being handled now (`now`: the clock, `timestamp`: the push's, in seconds;
    /// `digest`: a digest of its body).
    func claim(timestamp: Int64, nonce: String, digest: [UInt8], now: Double) -> Claim {
        let key = "\(timestamp)|\(nonce)"
        return seen.locked { seen in
            if let known = seen[key] { return known.body == digest ? .again : .replay }
            if seen.count >= Self.limit { seen = seen.filter { $0.value.until >= now } }
            guard seen.count < Self.limit else { return .full }
            seen[key] = (Double(timestamp) + window, digest)
            return .fresh
        }
    }

    /// Lets the pair go: its push was not recorded, and WeChat will send it again.
    func release(timestamp: Int64, nonce: String) {
        _ = seen.locked { $0.removeValue(forKey: "\(timestamp)|\(nonce)") }
    }
}
