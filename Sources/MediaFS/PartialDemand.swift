import Locking
import Synchronization

/// How much of each block its waiting readers need (the least of their range ends), shared by an item's actor
/// and its streams: a stream assembling a block hands the item what it has as soon as a reader's range is in
/// it, so on a slow network the first 4 KiB are served when they arrive, not once the whole block has.
/// A stream reads it once per chunk (a lock, no hop); the actor publishes it whenever its waiters change.
final class PartialDemand: Sendable {
    private let needs = Mutex<[Int: Int]>([:])

    /// The bytes of `block` the least demanding reader needs; nil when nobody waits for it.
    func need(_ block: Int) -> Int? { needs.locked { $0[block] } }

    func publish(_ needs: [Int: Int]) { self.needs.locked { $0 = needs } }
}
