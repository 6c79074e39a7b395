/// What a `DiskDataCache` may do to its directory (the rule is in CacheLock.swift).
public enum CacheAccess: Sendable {
    /// Holds the directory's lock (kept for the cache's life): cleans up at start and evicts to the budget.
    case owner(CacheLock)
    /// Another process owns the directory: reads and writes blocks, deletes nothing at start, never evicts.
    case guest
    /// Owner without a lock, for a directory no other process uses (unit tests, the demo's temporary cache).
    case unshared

    var isOwner: Bool {
        switch self {
        case .owner, .unshared: true
        case .guest: false
        }
    }
}
