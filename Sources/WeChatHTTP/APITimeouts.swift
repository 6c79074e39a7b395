import Locking

/// The process-wide idle timeout of every upstream call (`--timeout`): how long a call may go without receiving a
/// byte before it fails with a `.timeout` error, which is not retried, so a stalled upstream costs a read about
/// this long, not a multiple of it. Set once at start, before the first call; later settings are ignored.
public enum APITimeouts {
    public static func setIdle(seconds: Double) {
        precondition(seconds.isFinite && seconds > 0, "an idle timeout is more than 0 s")
        APIHTTP.idleTimeout.locked { $0 = seconds }
    }

}
