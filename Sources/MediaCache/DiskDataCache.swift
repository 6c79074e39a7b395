import Locking
import Foundation
import Logging
import Synchronization

/// The persistent block cache (see MediaCache.swift for the format). Thread-safe; async methods do their
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

    /// `now` is the wall clock in seconds (injected by tests); `mediaLife` is a parameter so tests can shrink it.
    /// `scanInBackground`: the directory is scanned beside the caller (a mount is ready at once, see
    /// `BackgroundScan`); otherwise before `init` returns.
    public convenience init(directory: String, budget: Int64, blockSize: Int = 1 << 20, access: CacheAccess = .unshared,
                mediaLife: Double = CachedItem.mediaLife, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                scanInBackground: Bool = false, logger: Logger) throws {
        try self.init(directory: directory, budget: budget, blockSize: blockSize, access: access, mediaLife: mediaLife, now: now,
                      scanInBackground: scanInBackground, scanGate: nil, logger: logger)
    }

    /// `scanGate`: tests hold the background scan until they signal it (what is read on the spot meanwhile).
    init(directory: String, budget: Int64, blockSize: Int, access: CacheAccess, mediaLife: Double, now: @escaping @Sendable () -> Double,
         scanInBackground: Bool, scanGate: DispatchSemaphore?, logger: Logger) throws {
        self.directory = directory
        self.budget = budget
        self.blockSize = blockSize
        self.access = access
        self.mediaLife = mediaLife
        self.now = now
        self.logger = logger
        let root = directory + "/v1"
        self.root = root
        try CacheFiles.makeDirectory(directory)
        try CacheFiles.makeDirectory(root)
        for kind in CacheKey.Kind.allCases { try CacheFiles.makeDirectory(root + "/" + kind.rawValue) }
        let start = now()
        guard scanInBackground else {
            var scanned = CacheScanner.scan(root: root, blockSize: blockSize, cleanup: access.isOwner, now: start, logger: logger)
            if access.isOwner {
                for key in scanned.expire(now: start, life: mediaLife) {
                    CacheCleanup.removeItemFolder(Self.itemDirectory(root, key), now: start)
                }
            }
            index = Mutex(scanned)
            scan = .finished()
            return
        }
        index = Mutex(CacheIndex())
        scan = BackgroundScan()
        let thread = Thread { [self] in
            scanGate?.wait()
            scanBeside(start: start)
        }
        thread.name = "wxmediafs cache scan"
        thread.start()
    }

    /// Whether this process cleans up and evicts (it holds the lock, or nobody else uses the directory).
    public var isOwner: Bool { access.isOwner }

    static func itemDirectory(_ root: String, _ key: CacheKey) -> String { "\(root)/\(key.kind.rawValue)/\(key.id)" }
    func itemDirectory(_ key: CacheKey) -> String { Self.itemDirectory(root, key) }
    func blockPath(_ key: CacheKey, _ block: Int) -> String { "\(itemDirectory(key))/\(ItemFileName.block(block))" }

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

    // MARK: disk

    public func storeItem(_ item: CachedItem, for key: CacheKey) async throws {
        let data = try JSONEncoder().encode(item)
        let directory = itemDirectory(key)
        try await DiskIO.run {
            try CacheFiles.makeDirectory(directory)
            try CacheFiles.writeAtomically(directory + "/meta", [[UInt8](data)])
        }
        index.locked { state in
            state.store(item, key: key)
            state.touch(key)
        }
    }

    /// `range` of block `block` (offsets inside the block), or nil when the block is absent or corrupt (a miss).
    /// Throws when the file cannot be read (see `readFailed`): that read fails, the next one is not doomed.
    public func read(_ key: CacheKey, block: Int, range: Range<Int>) async throws -> [UInt8]? {
        ensureLoaded(key)
        let known: (length: Int, verified: Bool, expected: Int?)? = index.locked { state in
            guard let entry = state.entries[key], let length = entry.blocks[block] else { return nil }
            state.touch(key)
            // The exact length block `block` of this item has, when its size is known.
            let expected = entry.hasItem && entry.blockSize > 0
                ? Int(max(0, min(Int64(entry.blockSize), entry.size - Int64(block) * Int64(entry.blockSize)))) : nil
            return (length, entry.blocks.isVerified(block), expected)
        }
        guard let known else { return nil }
        guard range.upperBound <= known.length else {
            forget(key, block, corrupt: true)  // shorter than its item says: useless, and must not loop
            return nil
        }
        let path = blockPath(key, block)
        do {
            if known.verified {
                let offset = BlockFormat.headerSize + range.lowerBound
                guard let slice = try await DiskIO.run({ try CacheFiles.readSlice(path, offset: offset, count: range.count) }) else {
                    forget(key, block, corrupt: false)  // evicted by the owner of the cache meanwhile
                    return nil
                }
                if slice.count == range.count { return slice }
                forget(key, block, corrupt: true)
                return nil
            }
            let identity = BlockFormat.identity(key), expected = known.expected
            switch try await DiskIO.run({ try CacheFiles.readVerifiedBlock(path, index: block, identity: identity, length: expected) }) {
            case .absent:
                forget(key, block, corrupt: false)
                return nil
            case .otherFormat:
                logger.debug("cache block of another format version dropped", metadata: ["item": "\(key)", "block": "\(block)"])
                forget(key, block, corrupt: false)
                unlink(path)
                return nil
            case .data(let verified, _) where verified.count == known.length:
                index.locked { $0.entries.modify(key) { $0.blocks.markVerified(block, true) } }
                return range == 0..<verified.count ? verified : Array(verified[range])  // whole: no copy
            case .data, .corrupt:
                logger.warning("cache block failed its check and was dropped", metadata: ["item": "\(key)", "block": "\(block)"])
                forget(key, block, corrupt: true)
                return nil
            }
        } catch let error as CacheIOError {
            readFailed(key, block, error)
            throw error
        }
    }

    /// Writes a block atomically, then (owner only) evicts to the budget. Throws `CacheIOError` (ENOSPC…) leaving
    /// nothing behind.
    public func store(_ key: CacheKey, block: Int, data: [UInt8]) async throws {
        try await store(key, block, CheckedBlock(data))
    }

    public func store(_ key: CacheKey, _ block: Int, _ checked: CheckedBlock) async throws {
        let path = blockPath(key, block)
        let directory = itemDirectory(key)
        let data = checked.bytes
        try await DiskIO.run {
            try CacheFiles.makeDirectory(directory)
            let header = BlockFormat.header(key: key, index: block, length: data.count, checksum: checked.checksum)
            try CacheFiles.writeAtomically(path, [header, data])
        }
        index.locked { state in
            state.addBlock(key, index: block, length: data.count, verified: true)
            state.touch(key)
        }
        await evictIfOwner()
    }

    public func bytes(_ key: CacheKey, _ block: Int, range: Range<Int>) async throws -> [UInt8]? {
        try await read(key, block: block, range: range)
    }

    /// The whole block, read and checked against its header now, with the checksum it was checked against.
    public func block(_ key: CacheKey, _ block: Int) async throws -> CheckedBlock? {
        ensureLoaded(key)
        let known: (length: Int, expected: Int?)? = index.locked { state in
            guard let entry = state.entries[key], let length = entry.blocks[block] else { return nil }
            let expected = entry.hasItem && entry.blockSize > 0
                ? Int(max(0, min(Int64(entry.blockSize), entry.size - Int64(block) * Int64(entry.blockSize)))) : nil
            return (length, expected)
        }
        guard let known else { return nil }
        let path = blockPath(key, block), identity = BlockFormat.identity(key), expected = known.expected
        if case .data(let bytes, let checksum)? = try? await DiskIO.run({
            try CacheFiles.readVerifiedBlock(path, index: block, identity: identity, length: expected)
        }), bytes.count == known.length {
            index.locked { $0.entries.modify(key) { $0.blocks.markVerified(block, true) } }
            return CheckedBlock(bytes: bytes, checksum: checksum)
        }
        // Anything else: the ordinary read decides (drops and counts what is corrupt, throws what cannot be read).
        index.locked { $0.entries.modify(key) { $0.blocks.markVerified(block, false) } }
        return try await read(key, block: block, range: 0..<known.length).map { CheckedBlock($0) }
    }

    /// A read that failed on the file (not on its content). Out of descriptors or memory, the block stays and a
    /// later read tries the disk again. Otherwise (EACCES, EIO, something else in its place) the block is dropped
    /// from memory only, so a later read is a miss that fetches it again and replaces the file by rename; the file
    /// is not unlinked, as it may be fine for another process.
    private func readFailed(_ key: CacheKey, _ block: Int, _ error: CacheIOError) {
        logger.warning("cannot read a cache block: \(error)", metadata: ["item": "\(key)", "block": "\(block)"])
        guard !error.isTransient else { return }
        index.locked { $0.removeBlock(key, index: block) }
    }

    func forget(_ key: CacheKey, _ block: Int, corrupt: Bool) {
        index.locked { state in
            state.removeBlock(key, index: block)
            if corrupt { state.corruptBlocks += 1 }
        }
        if corrupt { unlink(blockPath(key, block)) }
    }
}
