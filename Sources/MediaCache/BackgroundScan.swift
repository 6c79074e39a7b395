import Foundation
import Locking
import Synchronization

/// A cache directory's first scan when it runs beside the mount (`DiskDataCache(scanInBackground: true)`): the
/// mount is ready at once however many items the directory holds. Until the scan ends, an item asked for by key
/// is read from its own folder on the spot (once), and what needs every item (a listing, eviction, expiry)
/// waits for the end.
final class BackgroundScan: Sendable {
    private struct State {
        var done = false
        /// Keys read on the spot (found or not) while the scan runs.
        var tried: Set<CacheKey> = []
    }
    private let state = Mutex(State())
    private let finished = NSCondition()
    private let isDone = Atomic<Bool>(false)

    /// A finished scan: nothing to wait for, nothing to read on the spot.
    static func finished() -> BackgroundScan {
        let scan = BackgroundScan()
        scan.finish()
        return scan
    }

    var done: Bool { isDone.load(ordering: .acquiring) }

    /// Whether `key` must be read from its folder now (the scan has not reached it, and it was not tried yet).
    func claim(_ key: CacheKey) -> Bool {
        guard !done else { return false }
        return state.locked { state in !state.done && state.tried.insert(key).inserted }
    }

    func finish() {
        state.locked { state in
            state.done = true
            state.tried = []
        }
        isDone.store(true, ordering: .releasing)
        finished.lock()
        finished.broadcast()
        finished.unlock()
    }

    /// Blocks the calling thread until the scan has ended.
    func wait() {
        guard !done else { return }
        finished.lock()
        while !done { finished.wait() }
        finished.unlock()
    }
}
