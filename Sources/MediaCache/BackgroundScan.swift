import Foundation
import Locking
import Synchronization

/// A cache directory's first scan when it runs beside the mount (`DiskDataCache(scanInBackground: true)`): the
/// mount is ready at once however many items the directory holds. Until the scan ends, an item asked for by key
/// is read from its own folder on the spot (once; a second caller meanwhile waits for that read), and what needs
/// every item (a listing, eviction, expiry) waits for the end.
final class BackgroundScan: Sendable {
    private struct State {
        var done = false
        /// Keys read on the spot (found or not) while the scan runs, and those being read now.
        var tried: Set<CacheKey> = []
        var loading: Set<CacheKey> = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    /// Signalled when a key's read on the spot ends, and when the scan ends.
    private let changed = NSCondition()
    private let isDone = Atomic<Bool>(false)
    /// The packs are read (their items are in the index): an item not found there is looked for in its file.
    private let packsRead = Atomic<Bool>(false)

    /// A finished scan: nothing to wait for, nothing to read on the spot.
    static func finished() -> BackgroundScan {
        let scan = BackgroundScan()
        scan.finish()
        return scan
    }

    var done: Bool { isDone.load(ordering: .acquiring) }

    enum Claim { case load, loaded }

    /// Whether the caller must read `key` from its folder now (`.load`, then `loaded(key)`), or it is known
    /// already (`.loaded`: read by someone else, waited for here, or the scan is over).
    func claim(_ key: CacheKey) -> Claim {
        guard !done else { return .loaded }
        let (first, busy) = state.locked { state -> (Bool, Bool) in
            guard !state.done else { return (false, false) }
            if state.tried.insert(key).inserted {
                state.loading.insert(key)
                return (true, false)
            }
            return (false, state.loading.contains(key))
        }
        if first { return .load }
        if busy {
            changed.lock()
            while state.locked({ $0.loading.contains(key) }) { changed.wait() }
            changed.unlock()
        }
        return .loaded
    }

    func loaded(_ key: CacheKey) {
        state.locked { _ = $0.loading.remove(key) }
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    /// The packs are read: lookups on the spot may begin.
    func finishPacks() {
        packsRead.store(true, ordering: .releasing)
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    /// Blocks the calling thread until the packs are read (a lookup on the spot must not miss a packed item).
    func waitForPacks() {
        guard !packsRead.load(ordering: .acquiring) else { return }
        changed.lock()
        while !packsRead.load(ordering: .acquiring) { changed.wait() }
        changed.unlock()
    }

    func finish() {
        packsRead.store(true, ordering: .releasing)
        let waiters = state.locked { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            state.tried = []
            defer { state.waiters = [] }
            return state.waiters
        }
        isDone.store(true, ordering: .releasing)
        changed.lock()
        changed.broadcast()
        changed.unlock()
        for waiter in waiters { waiter.resume() }
    }

    /// Blocks the calling thread until the scan has ended (commands and tests, never the async pool).
    func wait() {
        guard !done else { return }
        changed.lock()
        while !done { changed.wait() }
        changed.unlock()
    }

    /// Returns once the scan has ended, without holding a thread.
    func ended() async {
        guard !done else { return }
        await withCheckedContinuation { continuation in
            let now = state.locked { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
