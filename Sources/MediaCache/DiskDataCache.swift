import Locking
import Foundation
import Logging
import Synchronization

/// The persistent block cache: one file per item (see MediaCache.swift and ItemFileFormat.swift). Thread-safe; async methods do their
/// disk I/O on `DiskIO` threads. Several processes may share a directory: see CacheLock.swift for who cleans up
/// and evicts (`access`).
public final class DiskDataCache: DataCache {
    public let directory: String
    public let blockSize: Int
    public let budget: Int64
    public let access: CacheAccess
    /// Seconds after `fetchedAt` when the server has certainly deleted an item (`CachedItem.mediaLife`).
    public let mediaLife: Double
    let now: @Sendable () -> Double
    let root: String
    let index: Mutex<CacheIndex>
    let logger: Logger
    let scan: BackgroundScan
    /// The packs of small items (PackStore.swift).
    let packs: PackStore
    /// Items of one block up to this size go into packs (0: none; tests of item files).
    let packLimit: Int

    /// `now` is the wall clock in seconds (injected by tests); `mediaLife` is a parameter so tests can shrink it.
    /// `scanInBackground`: the directory is scanned beside the caller (a mount is ready at once, see
    /// `BackgroundScan`); otherwise before `init` returns.
    /// `packLimit`: items of one block up to this size go into packs (`PackFormat.itemLimit`; 0: none).
    public convenience init(directory: String, budget: Int64, blockSize: Int = 1 << 20, access: CacheAccess = .unshared,
                mediaLife: Double = CachedItem.mediaLife, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                scanInBackground: Bool = false, packLimit: Int = 128 * 1024, logger: Logger) throws {
        try self.init(directory: directory, budget: budget, blockSize: blockSize, access: access, mediaLife: mediaLife, now: now,
                      scanInBackground: scanInBackground, scanGate: nil, packLimit: packLimit, logger: logger)
    }

    /// `scanGate`: tests hold the background scan (after the packs) until they signal it (what is read on the spot
    /// meanwhile).
    init(directory: String, budget: Int64, blockSize: Int, access: CacheAccess, mediaLife: Double, now: @escaping @Sendable () -> Double,
         scanInBackground: Bool, scanGate: DispatchSemaphore?, packLimit: Int = PackFormat.itemLimit, logger: Logger) throws {
        self.packLimit = packLimit
        self.directory = directory
        self.budget = budget
        self.blockSize = blockSize
        self.access = access
        self.mediaLife = mediaLife
        self.now = now
        self.logger = logger
        let root = directory + "/v2"
        self.root = root
        try CacheFiles.makeDirectory(directory)
        try CacheFiles.makeDirectory(root)
        for kind in CacheKey.Kind.allCases { try CacheFiles.makeDirectory(root + "/" + kind.rawValue) }
        packs = try PackStore(folder: root + "/packs", writable: access.isOwner)
        let start = now()
        index = Mutex(CacheIndex())
        scan = BackgroundScan()
        guard scanInBackground else {
            scanBeside(start: start)
            return
        }
        let thread = Thread { [self] in
            scanBeside(start: start, gate: scanGate)
        }
        thread.name = "wxmediafs cache scan"
        thread.start()
    }

    /// Whether this process cleans up and evicts (it holds the lock, or nobody else uses the directory).
    public var isOwner: Bool { access.isOwner }

    static func itemPath(_ root: String, _ key: CacheKey) -> String { "\(root)/\(key.kind.rawValue)/\(key.id)" }
    func itemPath(_ key: CacheKey) -> String { Self.itemPath(root, key) }

    // MARK: memory-only questions

    public func item(_ key: CacheKey) -> CachedItem? {
        ensureLoaded(key)
        return index.locked { $0.item(key) }
    }

    public func hasBlock(_ key: CacheKey, _ block: Int) -> Bool {
        ensureLoaded(key)
        return index.locked { $0.entries[key]?.blocks[block] != nil }
    }

    public func knownItems() -> [CacheKey: CachedItem] {
        waitForScan()
        return index.locked { state in
            Dictionary(uniqueKeysWithValues: state.entries.compactMap { key, entry in state.item(key, entry).map { (key, $0) } })
        }
    }

    /// Every item: waits for the first scan to end (without holding a thread).
    public func summaries(_ kind: CacheKey.Kind? = nil) async -> [ItemSummary] {
        await scan.ended()
        return index.locked { state in
            state.entries.compactMap { key, entry in
                guard kind == nil || key.kind == kind, entry.hasItem else { return nil }
                let extra = entry.flags.contains(.hasExtra) ? state.extras[key] : nil
                return ItemSummary(key: key, fileExtension: state.fileExtension(key, entry), fetchedAt: entry.fetchedAt,
                                   goneAt: extra?.goneAt, isComplete: entry.isComplete)
            }
        }
    }

    public func mayHold(_ key: CacheKey, _ block: Int) -> Bool { hasBlock(key, block) }

    public func statistics() -> CacheStatistics {
        index.locked { state in
            CacheStatistics(
                bytes: state.totalBytes, budget: budget, items: state.entries.values.reduce(0) { $0 + ($1.hasItem ? 1 : 0) },  // no copy of the index
                blocks: state.entries.values.reduce(0) { $0 + $1.blocks.count },
                evictedBlocks: state.evictedBlocks, corruptBlocks: state.corruptBlocks
            )
        }
    }

    /// An open reader pins its item: eviction never takes its blocks.
    public func pin(_ key: CacheKey) {
        ensureLoaded(key)
        index.locked { $0.entries.update(key, default: .init()) { $0.pins += 1 } }
    }

    public func unpin(_ key: CacheKey) {
        index.locked { state in
            state.entries.modify(key) { $0.pins = max(0, $0.pins - 1) }
        }
    }
}
