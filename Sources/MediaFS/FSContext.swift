import Locking
import Logging
import MediaCache
import Synchronization
import WeChatAPI

/// What every item shares: the downloader, the cache, the clock, the settings, the counters.
struct FSContext: Sendable {
    let downloader: any MediaDownloading
    /// Where `hd/<id>.wav` items come from (decoded from the speex item).
    let voice: DecodedVoiceSource
    let cache: any DataCache
    /// WeChat's rules on item ages, gone items and listings.
    let life: MediaLife
    let clock: any APIClock
    let config: FSConfiguration
    let counters: FSCounters
    let logger: Logger
    /// Told when an item's actor has no work left (see `InodeTable.idle`).
    let idle: IdleHook
    /// Warnings a user must see, one line per cause a minute.
    let warnings: WarningLimiter
    /// When an item was created, as the recorded follower messages say (installed by the filesystem).
    let created: CreationHint
}

/// The creation time the recorded messages give an item (their earliest CreateTime naming it), asked once, when
/// the item is first fetched: its mtime is fixed then (`CachedItem.createdAt`).
final class CreationHint: Sendable {
    private let lookup = Mutex<ClosureBox<@Sendable (CacheKey) -> Double?>?>(nil)

    func install(_ body: @escaping @Sendable (CacheKey) -> Double?) { lookup.locked { $0 = ClosureBox(body) } }

    func callAsFunction(_ key: CacheKey) -> Double? { lookup.locked { $0 }?.body(key) }
}

/// The way back from an item to the inode table, installed once the filesystem exists.
final class IdleHook: Sendable {
    /// The closure sits in a struct field, never directly as the Mutex's generic value: read through `locked`'s
    /// `inout` parameter, a bare closure is re-abstracted and written back wrapped in two more thunks on every
    /// call, a chain that grew by two frames per idle report (10,000 lookups after a remount made every later
    /// call walk 20,000 thunks: 4,900 stats/s instead of 100,000, and a long-lived mount would overflow a stack).
    private let report = Mutex<ClosureBox<@Sendable (CacheKey, MediaItem) -> Void>?>(nil)

    func install(_ body: @escaping @Sendable (CacheKey, MediaItem) -> Void) { report.locked { $0 = ClosureBox(body) } }

    func callAsFunction(_ key: CacheKey, _ item: MediaItem) { report.locked { $0 }?.body(key, item) }
}

/// A closure stored at its own abstraction (see `IdleHook`): a class reference is all the Mutex ever copies.
final class ClosureBox<Body: Sendable>: Sendable {
    let body: Body
    init(_ body: Body) { self.body = body }
}

/// The filesystem's counters in `.wxmediafs/stats` (`filesystem`): block reads answered from the cache (hits) or
/// upstream (misses), reads, lookups, lookups answered by the negative cache, errors by errno number.
public struct FilesystemCounters: Sendable, Codable, Equatable {
    public var hits = 0
    public var misses = 0
    public var reads = 0
    public var lookups = 0
    public var negativeHits = 0
    /// Requests answered with an error, by errno name (`EIO`; numbers in documents of older versions).
    public var errors: [String: Int] = [:]
    /// Blocks the cache's disk refused (a full or failing disk: reads go on from memory and upstream), and why
    /// the last one was.
    public var storeFailures = 0
    public var lastStoreFailure: String?
    /// hits / (hits + misses); nil before the first block read.
    public var hitRatio: Double?
}

/// Filesystem-side counters for `.wxmediafs/stats`.
final class FSCounters: Sendable {
    typealias Values = FilesystemCounters

    private let values = Mutex(Values())

    func hit() { values.locked { $0.hits += 1 } }
    func miss() { values.locked { $0.misses += 1 } }
    func read() { values.locked { $0.reads += 1 } }
    func lookup() { values.locked { $0.lookups += 1 } }
    func negativeHit() { values.locked { $0.negativeHits += 1 } }
    /// Keyed by the errno's name (`EIO`), as `status` and the metrics show it.
    func error(_ errno: Errno) { values.locked { $0.errors[errno.symbol, default: 0] += 1 } }
    func storeFailed(_ reason: String) {
        values.locked { values in
            values.storeFailures += 1
            values.lastStoreFailure = reason
        }
    }
    func snapshot() -> Values {
        var snapshot = values.locked { $0 }
        let blocks = snapshot.hits + snapshot.misses
        snapshot.hitRatio = blocks > 0 ? Double(snapshot.hits) / Double(blocks) : nil
        return snapshot
    }
}
