import Foundation
import Locking
import Logging
import MediaCache
import Synchronization

/// The shared tier on an S3-compatible store, as the second tier of a `MultilevelDataCache`: one object per item,
/// written once it is complete (its blocks staged in memory as they arrive, then one conditional put: hosts never
/// overwrite each other), read lazily by range, each block checked against the CRC-32C the object carries before
/// it is served. It degrades, never lies: while the store fails, reads miss at once (WeChat answers) and writes
/// are dropped and counted; one warning per outage.
public final class S3DataCache: DataCache {
    public let blockSize: Int
    let client: S3Client
    let appID: String
    let logger: Logger
    /// Seconds the tier stays out after a failed call.
    let outage: Double
    /// Bytes staged in memory at most (larger items are written in parts, read back from `local`).
    let stagingBudget: Int
    /// This host's name in its leases (random per process).
    public let hostID = UUID().uuidString
    /// Seconds a lease lasts (its holder's fetch and write), how long another host waits for it at most, and how
    /// often it looks whether the object landed.
    let leaseLife: Double
    let leaseWait: Double
    let leasePoll: Double
    /// False when the store does not keep `If-None-Match` (leases would not exclude anyone): every host fetches.
    public let leases: Bool

    struct Remote {
        var item: CachedItem
        var checksums: [UInt32]
    }
    struct Staged {
        var item: CachedItem?
        var blocks: [Int: CheckedBlock] = [:]
        var bytes = 0
        /// When its first part was staged: an item not whole within `stagingAge` (a partial read, a transfer that
        /// stopped, blocks the local tier had) is dropped, never kept in memory.
        var since: Double = 0
    }
    struct State {
        var remote: [CacheKey: Remote] = [:]
        var staged: [CacheKey: Staged] = [:]
        var stagedBytes = 0
        var downUntil: Double = 0
        var statistics = SharedTierStatistics()
        /// First blocks that came with an item's fields, until `block` takes them (at most `firstBlocksKept`).
        var firstBlocks: [CacheKey: [UInt8]] = [:]
        /// Items being written; their tasks (for `drain`) while they run.
        var uploading: Set<CacheKey> = []
        var uploads: [CacheKey: Task<Void, Never>] = [:]
        /// What the store's listing said (and what this host wrote since), by item; when it was last read.
        var listed: [CacheKey: ItemSummary] = [:]
        var listedAt: Double = -.infinity
        var listing: Task<Void, Never>?
        /// Items whose object was found damaged here: the next complete copy (from WeChat) replaces it.
        var damaged: Set<CacheKey> = []
        /// Items whose fleet lease this host holds.
        var leases: Set<CacheKey> = []
        /// Items too large to stage whole, written in parts as their blocks come (S3DataCache+Stream.swift).
        var streams: [CacheKey: Stream] = [:]
    }
    let state = Mutex(State())

    /// The local tier in front of this one (the disk cache): what an item too large to stage is read back from, part
    /// by part, to be written (nil: such items are not archived).
    let local: (any DataCache)?

    public init(client: S3Client, appID: String, blockSize: Int, local: (any DataCache)? = nil, stagingBudget: Int = 64 << 20, outage: Double = 30,
                leaseLife: Double = 30, leaseWait: Double = 15, leasePoll: Double = 0.1, leases: Bool = true, logger: Logger) {
        self.local = local
        self.leases = leases
        self.leaseLife = leaseLife
        self.leaseWait = leaseWait
        self.leasePoll = leasePoll
        self.client = client
        self.appID = appID
        self.blockSize = blockSize
        self.stagingBudget = stagingBudget
        self.outage = outage
        self.logger = logger
    }

    static let firstBlocksKept = 32
    /// What a lookup reads of an object: its fields, and the whole of most temporary media (a larger item's first
    /// block is read again when it is read).
    static let firstRead = 256 << 10

    public var tierStatistics: SharedTierStatistics { state.locked { $0.statistics } }
    public func sharedStatistics() -> SharedTierStatistics? { tierStatistics }

    public func finishWrites() async { await drain() }

    /// Waits for the uploads started so far (tests; a stop): those in parts whose blocks are not all in are aborted.
    public func drain() async {
        abandonIncompleteStreams()
        let tasks = state.locked { Array($0.uploads.values) }
        for task in tasks { await task.value }
    }

    // MARK: reads

    public func loadItem(_ key: CacheKey) async throws -> CachedItem? { await remote(key)?.item }

    public func item(_ key: CacheKey) -> CachedItem? { state.locked { $0.remote[key]?.item } }

    public func block(_ key: CacheKey, _ index: Int) async throws -> CheckedBlock? {
        guard let remote = await remote(key), index < remote.checksums.count, let object = ObjectMeta.objectKey(key, appID: appID) else { return nil }
        let start = Int64(index) * Int64(remote.item.blockSize), length = remote.item.blockLength(index)
        guard remote.item.blockSize == blockSize else { return nil }
        let answer: (head: S3Client.Head, bytes: [UInt8])?
        do {
            if index == 0, let first = state.locked({ $0.firstBlocks.removeValue(forKey: key) }) {
                answer = (S3Client.Head(size: remote.item.size, etag: "", contentType: nil, metadata: [:]), first)  // came with the fields
            } else {
                answer = try await client.get(object, range: start..<(start + Int64(length)), limit: length)
            }
        } catch {
            failed(error, doing: "read \(key) block \(index)")
            return nil
        }
        guard let answer else {
            state.locked { $0.remote[key] = nil; $0.statistics.misses += 1 }
            return nil
        }
        let checksum = CRC32C.checksum(answer.bytes)
        guard answer.bytes.count == length, checksum == remote.checksums[index], answer.head.size == remote.item.size else {
            state.locked { $0.remote[key] = nil; $0.statistics.corrupt += 1; $0.damaged.insert(key) }
            logger.warning("shared store: an object's bytes do not match its checksum; not served (replaced once fetched again)",
                           metadata: ["item": "\(key)", "block": "\(index)"])
            return nil
        }
        state.locked { $0.statistics.hits += 1; $0.statistics.bytesRead += Int64(length) }
        return CheckedBlock(bytes: answer.bytes, checksum: checksum)
    }

    public func bytes(_ key: CacheKey, _ block: Int, range: Range<Int>) async throws -> [UInt8]? {
        guard let whole = try await self.block(key, block), whole.holds(range) else { return nil }
        return whole[range]
    }

    /// The object's meta and checksums, from memory or a HEAD; nil when the store has none (or is out).
    func remote(_ key: CacheKey) async -> Remote? {
        if let known = state.locked({ $0.remote[key] }) { return known }
        guard let object = ObjectMeta.objectKey(key, appID: appID), isUp() else { return nil }
        do {
            // One GET of the first block answers both the fields and the bytes a first read wants (a small item is
            // one block): no HEAD before it.
            let first = min(blockSize, Self.firstRead)
            guard let answer = try await client.get(object, range: 0..<Int64(first), limit: first) else {
                state.locked { $0.statistics.misses += 1 }
                return nil
            }
            guard let (item, listed) = ObjectMeta.decode(answer.head, blockSize: blockSize) else {
                state.locked { $0.statistics.corrupt += 1 }
                logger.warning("shared store: an object's fields are not an item's; not served", metadata: ["item": "\(key)"])
                return nil
            }
            // An item written in parts: its checksums are in its table, written for this object (its ETag).
            var table = listed
            if table == nil { table = try await tableChecksums(key, etag: answer.head.etag, count: item.blockCount()) }
            guard let checksums = table else {
                state.locked { $0.statistics.misses += 1 }
                return nil
            }
            let remote = Remote(item: item, checksums: checksums)
            state.locked { state in
                state.remote[key] = remote
                // Kept until `block` takes it, a few at most (a lookup that is not followed by a read leaves it).
                if !checksums.isEmpty, answer.bytes.count == item.blockLength(0) {
                    if state.firstBlocks.count >= Self.firstBlocksKept, let oldest = state.firstBlocks.keys.first { state.firstBlocks[oldest] = nil }
                    state.firstBlocks[key] = answer.bytes
                }
            }
            return remote
        } catch {
            failed(error, doing: "look up \(key)")
            return nil
        }
    }

    // MARK: writes

    public func storeItem(_ item: CachedItem, for key: CacheKey) async throws {
        guard ObjectMeta.objectKey(key, appID: appID) != nil else { return }
        guard item.goneAt == nil else {
            await releaseLease(key)  // WeChat no longer has it: nobody waits for an object that will not come
            return
        }
        stage(key) { $0.item = item }
    }

    public func store(_ key: CacheKey, _ block: Int, _ data: CheckedBlock) async throws {
        guard ObjectMeta.objectKey(key, appID: appID) != nil else { return }
        stage(key, block: (block, data)) { staged in
            if staged.blocks[block] == nil { staged.bytes += data.bytes.count }
            staged.blocks[block] = data
        }
    }

    /// Changes what is staged for `key`; once the item is known and every block is there, its upload starts.
    /// `block`: the block `change` stages, taken by the item's upload in parts instead when there is one (looked at
    /// under the same lock that starts it: a block never falls between the two).
    private func stage(_ key: CacheKey, block: (index: Int, data: CheckedBlock)? = nil, _ change: (inout Staged) -> Void) {
        let ready: (CachedItem, [CheckedBlock])? = state.locked { state in
            abandonStale(&state)
            if let block, state.streams[key] != nil {
                accept(key, block.index, block.data, &state)
                return nil
            }
            guard state.remote[key] == nil, !state.uploading.contains(key) else { return nil }  // in the store already, or on its way
            let now = Date().timeIntervalSince1970
            var staged = state.staged[key] ?? Staged(since: now)
            let before = staged.bytes
            change(&staged)
            state.stagedBytes += staged.bytes - before
            state.staged[key] = staged
            // Out of bounds: this item when it can never fit, then the oldest staged items (and the stale) until
            // what is staged fits the budget; each is dropped and counted, its lease let go.
            var dropped: [CacheKey] = []
            if let item = staged.item, item.size > Int64(stagingBudget) || item.blockCount() > ObjectMeta.maxBlocks || item.blockSize != blockSize {
                // Too large to stage whole: written in parts as its blocks come (read back from `local`), if it can be.
                if local != nil, item.blockSize == blockSize, item.blockCount() <= ObjectMeta.maxTableBlocks, !state.streams.keys.contains(key) {
                    state.stagedBytes -= staged.bytes
                    state.staged[key] = nil
                    startStream(key, item, staged.blocks, &state)
                    return nil
                }
                dropped.append(key)
            }
            for (other, entry) in state.staged where now - entry.since > Self.stagingAge && other != key { dropped.append(other) }
            for victim in dropped { drop(victim, &state) }
            while state.stagedBytes > stagingBudget, let oldest = state.staged.min(by: { $0.value.since < $1.value.since })?.key {
                drop(oldest, &state)
                dropped.append(oldest)
            }
            guard !dropped.contains(key), let staged = state.staged[key] else { return nil }
            guard let item = staged.item, item.size > 0, staged.blocks.count == item.blockCount(),
                  (0..<item.blockCount()).allSatisfy({ staged.blocks[$0]?.bytes.count == item.blockLength($0) }) else {
                return nil
            }
            state.stagedBytes -= staged.bytes
            state.staged[key] = nil
            state.uploading.insert(key)
            return (item, (0..<item.blockCount()).map { staged.blocks[$0]! })
        }
        guard let (item, blocks) = ready else { return }
        let task = Task {
            await self.upload(key, item, blocks)
            self.state.locked { $0.uploading.remove(key); $0.uploads[key] = nil }
        }
        state.locked { if $0.uploading.contains(key) { $0.uploads[key] = task } }
    }

    /// Seconds an item may stay staged without becoming whole.
    static let stagingAge: Double = 120

    private func drop(_ key: CacheKey, _ state: inout State) {
        guard let entry = state.staged.removeValue(forKey: key) else { return }
        state.stagedBytes -= entry.bytes
        state.statistics.writesDropped += 1
        if state.leases.contains(key) { Task { await self.releaseLease(key) } }
    }

    /// The checksums in `key`'s table if it was written for the object whose ETag is `etag` (nil: none yet, a
    /// writer that died between the object and its table, or a table of another copy: a miss, never unchecked).
    func tableChecksums(_ key: CacheKey, etag: String, count: Int) async throws -> [UInt32]? {
        guard let table = ObjectMeta.tableKey(key, appID: appID),
              let answer = try await client.get(table, limit: 64 + 8 * count) else { return nil }
        return ObjectMeta.checksums(table: answer.bytes, etag: etag, count: count)
    }

    private func upload(_ key: CacheKey, _ item: CachedItem, _ blocks: [CheckedBlock]) async {
        guard let object = ObjectMeta.objectKey(key, appID: appID) else { return }
        guard isUp() else {
            state.locked { $0.statistics.writesDropped += 1 }
            await releaseLease(key)
            return
        }
        let checksums = blocks.map(\.checksum)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(item.size))
        for block in blocks { bytes += block.bytes }
        var stored = item
        stored.videoURL = nil  // a signed address expires, and it is this host's
        let replacing = state.locked { $0.damaged.contains(key) }  // a damaged object is overwritten, never kept
        do {
            switch try await client.put(object, bytes: bytes, contentType: item.contentType, metadata: ObjectMeta.encode(stored, checksums: checksums, origin: nil),
                                        ifAbsent: !replacing) {
            case .created: state.locked { $0.statistics.objectsWritten += 1; $0.damaged.remove(key) }
            case .exists: state.locked { $0.statistics.objectsExisting += 1 }
            }
            if let name = ObjectMeta.nameKey(key, appID: appID, ext: item.fileExtension) {
                _ = try await client.put(name, bytes: [], ifAbsent: true)
            }
            let summary = ItemSummary(key: key, fileExtension: item.fileExtension, fetchedAt: item.fetchedAt, goneAt: nil, isComplete: true)
            state.locked { state in
                state.listed[key] = summary
                state.leases.remove(key)  // kept in the store: it tells a late host the object is there (see claimFetch)
            }
        } catch {
            state.locked { $0.statistics.writesDropped += 1 }
            failed(error, doing: "write \(key)")
            await releaseLease(key)
        }
    }

    // MARK: outages

    func isUp() -> Bool { state.locked { $0.downUntil <= Date().timeIntervalSince1970 } }

    /// A failed call: the tier is out for `outage` seconds; the first failure of an outage is logged.
    func failed(_ error: any Error, doing what: String) {
        // A reader that gave up (an interrupted read) says nothing of the store.
        if Task.isCancelled || error is CancellationError { return }
        if let error = error as? S3Error, error.kind == .cancelled || error.kind == .conflict { return }
        let first = state.locked { state -> Bool in
            state.statistics.errors += 1
            let now = Date().timeIntervalSince1970
            defer { state.downUntil = now + outage }
            guard state.downUntil <= now else { return false }
            state.statistics.outages += 1
            return true
        }
        if first {
            logger.warning("shared store unavailable; reading from WeChat directly for \(Int(outage)) s", metadata: ["while": "\(what)", "error": "\(error)"])
        }
    }

    // MARK: the rest of the seam

    public func mayHold(_ key: CacheKey, _ block: Int) -> Bool { false }
    /// What the fleet holds, from the last listing of the store (never waited for: a listing older than
    /// `listingAge` is read again in the background, and the first one starts with the tier).
    public func summaries(_ kind: CacheKey.Kind?) async -> [ItemSummary] {
        refreshListingIfStale()
        return state.locked { state in state.listed.values.filter { kind == nil || $0.key.kind == kind } }
    }

    /// Pages a listing reads at most (10 million items).
    static let listingPages = 10_000

    /// Seconds a listing is used before it is read again.
    static let listingAge: Double = 30

    /// Starts a listing of the store unless one runs or the last is fresh.
    public func refreshListingIfStale() {
        let now = Date().timeIntervalSince1970
        state.locked { state in
            guard state.listing == nil, now - state.listedAt >= Self.listingAge, state.downUntil <= now else { return }
            state.listing = Task { await self.readListing() }
        }
    }

    /// Waits for the listing under way, if any (tests).
    public func listingDone() async {
        let task = state.locked { $0.listing }
        await task?.value
    }

    /// Every name marker under `names/<appid>/`, paged; the listing replaces the last one when it is whole.
    private func readListing() async {
        var found: [CacheKey: ItemSummary] = [:], token: String?, pages = 0
        let prefix = "names/\(appID)/"
        do {
            repeat {
                let page = try await client.list(prefix: prefix, continuation: token)
                pages += 1
                // A store that answers the same token again, or pages without end, ends the listing here.
                if page.next == token || page.keys.isEmpty || pages >= Self.listingPages { token = nil } else { token = page.next }
                for entry in page.keys {
                    guard let (key, ext) = ObjectMeta.parseName(String(entry.key.dropFirst(prefix.count))) else { continue }
                    found[key] = ItemSummary(key: key, fileExtension: ext, fetchedAt: entry.modified ?? 0, goneAt: nil, isComplete: true)
                }
            } while token != nil
            state.locked { state in
                let mine = state.listed.filter { found[$0.key] == nil && $0.value.fetchedAt > state.listedAt }  // written here since
                state.listed = found.merging(mine) { theirs, _ in theirs }
                state.listedAt = Date().timeIntervalSince1970
                state.listing = nil
            }
        } catch {
            state.locked { $0.listing = nil; $0.listedAt = Date().timeIntervalSince1970 }
            // An answer that is not a listing says nothing of the store's health: the next listing tries again.
            if (error as? S3Error)?.kind != .badResponse { failed(error, doing: "list the store") }
        }
    }
    public func pin(_ key: CacheKey) {}
    public func unpin(_ key: CacheKey) {}
    public func statistics() -> CacheStatistics {
        CacheStatistics(bytes: 0, budget: 0, items: state.locked { $0.remote.count }, blocks: 0, evictedBlocks: 0, corruptBlocks: tierStatistics.corrupt)
    }
}
