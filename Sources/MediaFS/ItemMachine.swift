import Logging
import MediaCache
import WeChatAPI

/// The state of one media item as a value (AHC-style): events are `mutating` functions returning the
/// `ItemAction`s a thin actor (`MediaItem`) executes. No I/O, no clock, no continuation: unit tests drive it
/// with plain values (ItemMachineTests).
///
/// Single-flight: a transfer claims the blocks `next..<end`; a reader needing a claimed block waits for it
/// instead of fetching it again. A block lands in `landing` before its disk write (which runs beside the
/// stream), so a reader arriving meanwhile is served from memory and never starts a second transfer.
struct ItemMachine: Sendable {
    struct Transfer: Sendable, Equatable {
        var next: Int
        var end: Int
        /// Started without a video_url: its media/get answer may bring a new one.
        let asksMediaGet: Bool

        func claims(_ block: Int) -> Bool { next <= block && block < end }
    }

    struct BlockWaiter: Sendable, Equatable {
        let id: Int
        /// The bytes of the block it needs (its range's end): given as soon as they have arrived.
        let need: Int
    }

    struct Settings: Sendable {
        var key: CacheKey
        var blockSize: Int
        var window: Int64
        var windowMax: Int64
        var videoProbeLength: Int64?
        /// Blocks kept in memory (`landing`) at most.
        var memoryBlocks: Int
        /// Disk writes of blocks under way at most before a stream waits.
        var maxPendingStores = 4
    }

    let settings: Settings
    private(set) var info: CachedItem?
    /// A head without a size (no Content-Length): installed when its stream ends.
    private(set) var pendingHead: MediaHead?
    var headWaiters: Set<Int> = []
    var transfers: [Int: Transfer] = [:]
    private var transferCount = 0
    var blockWaiters: [Int: [BlockWaiter]] = [:] {
        didSet { demandChanged = true }
    }
    /// `blockWaiters` changed since the actor last published what the streams should hand over early.
    var demandChanged = false
    /// Blocks a reader got part of before they were whole: `drain` waits for them to land (or their stream to
    /// end), so a process that exits after its read still leaves the block in the cache.
    var partialServed: Set<Int> = []
    /// Partly served blocks fetched again after their stream ended without them (once each).
    var partialRefetched: Set<Int> = []
    /// Blocks just received (before their disk write ends) or refused by the disk; bounded.
    var landing: [Int: [UInt8]] = [:]
    var landingOrder: [Int] = []
    /// Block disk writes under way, and the streams waiting for one to end (each with the block it brings).
    var storing = 0
    var queuedStores: [(stream: Int, block: Int, data: CheckedBlock)] = []
    var writingMeta = 0
    var drainWaiters: [Int] = []
    private(set) var window: ReadWindow
    var url = VideoURLState()
    /// Set once the server said the item no longer exists; uncached reads fail with it, without a call.
    private(set) var gone: FSError?
    /// Bumped at every block commit: a reader whose cache lookup missed meanwhile looks again before fetching.
    var commits = 0

    init(_ settings: Settings, known: CachedItem?) {
        self.settings = settings
        info = known
        window = ReadWindow(initial: settings.window, maximum: settings.windowMax, blockSize: settings.blockSize)
        if let goneAt = known?.goneAt { gone = Self.goneError(settings.key, "gone since \(Int(goneAt))") }
    }

    static func goneError(_ key: CacheKey, _ cause: String) -> FSError {
        FSError(.io, "\(key) is no longer on the server (\(cause)); only its cached blocks can be read", logged: true)
    }

    var blockSize: Int { settings.blockSize }

    /// No transfer, waiter, write, refresh or block kept only in memory: everything the item knows is in the
    /// cache, and its actor may be let go (the inode table decides: it keeps items that are open).
    var isIdle: Bool {
        info != nil && transfers.isEmpty && headWaiters.isEmpty && blockWaiters.isEmpty && storing == 0 && writingMeta == 0
            && queuedStores.isEmpty && landing.isEmpty && !url.refreshing && partialServed.isEmpty
    }

    /// Nothing written is still on its way to the disk.
    var isDrained: Bool { storing == 0 && writingMeta == 0 && partialServed.isEmpty }

    /// What the waiting readers need of each block (the least of their range ends), for the streams.
    var demand: [Int: Int] { blockWaiters.compactMapValues { $0.map(\.need).min() } }

    func isClaimed(_ block: Int) -> Bool { transfers.values.contains { $0.claims(block) } }

    // MARK: head

    /// A lookup wants the size and type: the first one starts the one transfer that also brings the bytes.
    mutating func headWanted(_ waiter: Int) -> [ItemAction] {
        if let info { return [.resumeHead(waiter, .success(info))] }
        var actions: [ItemAction] = []
        if transfers.isEmpty && headWaiters.isEmpty {
            actions.append(start(from: 0, end: Int.max, range: nil))
        }
        headWaiters.insert(waiter)
        return actions
    }

    /// The item's meta, found in a slower cache tier: known now, as if it had been cached here all along.
    mutating func loaded(_ item: CachedItem) -> [ItemAction] {
        guard info == nil else { return [] }
        info = item
        if let goneAt = item.goneAt { gone = Self.goneError(settings.key, "gone since \(Int(goneAt))") }
        defer { headWaiters = [] }
        return headWaiters.sorted().map { .resumeHead($0, .success(item)) }
    }

    /// What an answer said. Not accepted when it contradicts what is known (another size: the bytes would not be
    /// this item's), so the transfer stops before delivering anything.
    mutating func headArrived(_ head: MediaHead, transfer: Int, probeEnd: Int?, now: Double, created: Double?) -> (accepted: Bool, actions: [ItemAction]) {
        if let known = info?.size, let total = head.totalSize, known != total {
            return (false, [.log(.warning, "\(settings.key): the server now says \(total) bytes, not \(known); refusing the answer")])
        }
        if let probeEnd {
            // The first transfer: a video probe answered 206 brings only the probe; anything else is the whole item.
            let probing = head.videoURL != nil && head.rangeSupported
            transfers[transfer]?.end = probing ? probeEnd : Int.max
            if probing { window.expectedNext = probeEnd }
        }
        if var known = info {
            guard let fresh = head.videoURL, fresh != known.videoURL, transfers[transfer]?.asksMediaGet == true else { return (true, []) }
            // media/get gave this transfer a new video_url: keep it (in memory and in the meta).
            known.videoURL = fresh
            info = known
            url.obtained(at: now, newGeneration: true)
            return (true, [storeMeta(known)])
        }
        if head.videoURL != nil { url.obtained(at: now, newGeneration: false) }
        guard let size = head.totalSize else {
            pendingHead = head  // no Content-Length: the size is known only at the end of the stream
            return (true, [])
        }
        return (true, install(head, size: size, now: now, created: created))
    }

    private mutating func install(_ head: MediaHead, size: Int64, now: Double, created: Double?) -> [ItemAction] {
        let item = CachedItem(
            size: size, contentType: head.contentType, filename: head.filename, fileExtension: head.fileExtension,
            rangeSupported: head.rangeSupported, videoURL: head.videoURL, fetchedAt: now, blockSize: blockSize,
            createdAt: created.flatMap { $0 < now ? $0 : nil }
        )
        info = item
        pendingHead = nil
        var actions = headWaiters.sorted().map { ItemAction.resumeHead($0, .success(item)) }
        headWaiters = []
        actions.append(storeMeta(item))
        return actions
    }

    /// A lookup gave up waiting for the size (interrupted). If nobody else waits for anything of a video whose
    /// stream has no length, that CDN stream stops; it starts again at the next lookup.
    mutating func headAbandoned(_ waiter: Int) -> [ItemAction] {
        guard headWaiters.remove(waiter) != nil else { return [] }
        var actions: [ItemAction] = [.cancelHead(waiter)]
        guard info == nil, headWaiters.isEmpty, blockWaiters.isEmpty, pendingHead?.videoURL != nil else { return actions }
        actions.append(.log(.debug, "\(settings.key): nobody waits for its size any more; stopping its stream"))
        actions += transfers.keys.sorted().map { .cancelTransfer($0) }
        transfers.removeAll()
        pendingHead = nil
        return actions
    }

    // MARK: blocks

    /// A block's bytes already in memory (just received, or refused by the disk).
    func landed(_ block: Int) -> [UInt8]? { landing[block] }

    /// A reader found `block` neither in memory nor in the cache: it waits for the transfer that claims it, or
    /// one starts now. `present`: whether the cache holds a block (a hint, for planning the window).
    mutating func blockWanted(_ waiter: Int, block: Int, need: Int, present: (Int) -> Bool) -> [ItemAction] {
        if let data = landing[block] { return [.resumeBlock(waiter, .success(data))] }
        var actions: [ItemAction] = []
        if !isClaimed(block) {
            if let gone { return [.resumeBlock(waiter, .failure(gone))] }
            actions += schedule(from: block, present: present)
        }
        blockWaiters[block, default: []].append(BlockWaiter(id: waiter, need: need))
        return actions
    }

    /// A reader got `block`: a sequential reader half-way through the window gets the next one started.
    mutating func blockRead(_ block: Int, present: (Int) -> Bool) -> [ItemAction] {
        // A gone item reads ahead nothing: every transfer would try its dead URL once more for nothing.
        guard gone == nil, let info, info.rangeSupported,
              let next = window.readAhead(after: block, blockCount: info.blockCount(), present: { isPresent($0, present) })
        else { return [] }
        return schedule(from: next, present: present)
    }

    /// A reader gave up (its request was interrupted): it is told so now. A CDN transfer that nobody waits for
    /// any more stops (a window is cheap to ask again); a media/get stream goes on, since it is the item's one
    /// upstream call and stopping it would cost another.
    mutating func blockAbandoned(_ waiter: Int, block: Int, present: (Int) -> Bool) -> [ItemAction] {
        guard var waiters = blockWaiters[block], let index = waiters.firstIndex(where: { $0.id == waiter }) else { return [] }
        waiters.remove(at: index)
        blockWaiters[block] = waiters.isEmpty ? nil : waiters
        var actions: [ItemAction] = [.cancelBlock(waiter)]
        guard info?.videoURL != nil, let (id, transfer) = transfers.first(where: { $0.value.claims(block) }),
              !blockWaiters.keys.contains(where: { transfer.claims($0) }) else { return actions }
        actions.append(.log(.debug, "\(settings.key): nobody waits for blocks \(transfer.next)..<\(transfer.end) any more; stopping that transfer"))
        actions.append(.cancelTransfer(id))
        transfers.removeValue(forKey: id)
        // Its stream will not report (it is gone already): what it served in part is settled here.
        actions += settlePartials(present: present)
        actions += reconsiderWaiters(error: nil, present: present)
        return actions
    }

    func isPresent(_ block: Int, _ present: (Int) -> Bool) -> Bool {
        landing[block] != nil || present(block) || isClaimed(block)
    }

    /// Starts the transfer that will bring `block`: a window where the origin honours Range, else one stream
    /// of the whole item.
    mutating func schedule(from block: Int, present: (Int) -> Bool) -> [ItemAction] {
        guard let info else { return [] }
        guard info.rangeSupported else {
            // One stream to the end, from the first block not cached (after a crash or an eviction): a server
            // that honours Range sends only the rest; one that ignores it sends everything, and the cached
            // blocks are skipped, not rewritten. Either way it is one more call, which cannot be avoided.
            var first = 0
            while first < info.blockCount(), landing[first] != nil || present(first) { first += 1 }
            let from = min(first, block)
            return [start(from: from, end: Int.max, range: from > 0 ? ByteRange(offset: Int64(from) * Int64(blockSize)) : nil)]
        }
        var planner = window  // the closure reads `self`: plan on a copy
        let blocks = planner.plan(from: block, blockCount: info.blockCount()) { isPresent($0, present) }
        window = planner
        let offset = Int64(block) * Int64(blockSize)
        let length = min(info.size, Int64(blocks.upperBound) * Int64(blockSize)) - offset
        return [start(from: block, end: blocks.upperBound, range: ByteRange(offset: offset, length: length))]
    }

    private mutating func start(from block: Int, end: Int, range: ByteRange?) -> ItemAction {
        transferCount += 1
        let videoURL = info?.videoURL
        // A transfer without a URL asks media/get itself: the URL its answer brings is news (see headArrived).
        transfers[transferCount] = Transfer(next: block, end: end, asksMediaGet: videoURL == nil)
        let probe = Int(((settings.videoProbeLength ?? 0) + Int64(blockSize) - 1) / Int64(blockSize))
        return .startTransfer(TransferPlan(
            id: transferCount, firstBlock: block, end: end, range: range, videoURL: videoURL,
            videoURLFreshSince: url.freshSince, generation: url.generation, probeEnd: range == nil ? max(1, probe) : nil
        ))
    }

    // MARK: writes the extension makes to state kept private here

    mutating func installEnded(_ head: MediaHead, size: Int64, now: Double, created: Double?) -> [ItemAction] {
        install(head, size: size, now: now, created: created)
    }

    mutating func settle(_ orphans: Set<Int>, keeping owed: Set<Int>) {
        partialServed.subtract(orphans)
        partialServed.formUnion(owed)
    }

    mutating func joinRefresh(_ waiter: Int) -> Bool { url.join(waiter) }
    mutating func endRefresh() -> [Int] { url.ended() }
    mutating func newURL(_ fresh: String, now: Double) { url.obtained(at: now, newGeneration: true) }
    mutating func setGone(_ error: FSError) { gone = error }

    mutating func replaceInfo(_ item: CachedItem) -> ItemAction {
        info = item
        return storeMeta(item)
    }
}
