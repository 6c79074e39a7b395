import Foundation

/// The one door every reply goes through, so that nothing touches the session once it is being destroyed.
///
/// A reply `enter`s (refused once the gate is closed), calls libfuse, and `leave`s. `close` refuses new replies
/// and waits for the ones in progress; after it returns, `fuse_session_destroy` is safe: a request still
/// unanswered is abandoned (its Task may finish, but its reply is dropped). `pending` counts requests taken
/// from the kernel and not answered yet, for the shutdown log.
final class ReplyGate: @unchecked Sendable {
    private let condition = NSCondition()  // guards everything below
    private var closed = false
    private var replying = 0
    private var unanswered = 0

    /// A request arrived (its `FuseReply` was made).
    func opened() { condition.withLock { unanswered += 1 } }

    /// Runs `reply` unless the gate is closed; returns whether it ran. Counts the request as answered either way.
    func pass(_ reply: () -> Void) -> Bool {
        let open = condition.withLock { () -> Bool in
            unanswered -= 1
            guard !closed else { return false }
            replying += 1
            return true
        }
        guard open else { return false }
        reply()
        condition.withLock {
            replying -= 1
            if replying == 0 { condition.broadcast() }
        }
        return true
    }

    /// Refuses every later reply and waits for those under way. Returns how many requests were abandoned.
    @discardableResult
    func close() -> Int {
        condition.withLock {
            closed = true
            while replying > 0 { condition.wait() }
            return unanswered
        }
    }
}
