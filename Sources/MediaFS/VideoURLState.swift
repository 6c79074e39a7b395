/// What an item knows of its `video_url` besides the address (kept in `CachedItem`): which one it is, when it
/// came, whether it has served bytes, and whether a refresh is under way (ItemMachine).
struct VideoURLState: Sendable, Equatable {
    /// Bumped each time media/get gives a fresh video_url; transfers remember the one they used.
    private(set) var generation = 0
    /// Clock seconds when the current URL came from media/get (nil: it came from the cache).
    private(set) var obtainedAt: Double?
    /// The current URL has served bytes: a 404 from it now means it expired, never "not ready yet".
    private(set) var served = false
    /// A media/get for a fresh URL is under way; these waiters (with the generation each found expired) get it.
    private(set) var refreshing = false
    private(set) var waiters: [Int] = []

    /// A URL just came from media/get (in a transfer's own answer, or from a refresh).
    mutating func obtained(at now: Double, newGeneration: Bool) {
        if newGeneration { generation += 1 }
        obtainedAt = now
        served = false
    }

    mutating func servedBytes() { served = true }

    /// When the current URL came, unless it has served bytes since (only a URL that never served may be
    /// "not ready yet").
    var freshSince: Double? { served ? nil : obtainedAt }

    mutating func join(_ waiter: Int) -> Bool {
        waiters.append(waiter)
        defer { refreshing = true }
        return !refreshing  // the first one starts the refresh
    }

    /// The refresh ended: its waiters.
    mutating func ended() -> [Int] {
        refreshing = false
        defer { waiters = [] }
        return waiters
    }
}
