import Logging
import Synchronization
import MediaCache
import WeChatAPI

/// One media item: the thin actor that executes its `ItemMachine`. It holds what a value cannot (the
/// continuations of waiting readers, the transfer tasks) and does the I/O the machine's actions ask for;
/// every decision is the machine's (ItemMachine.swift, ItemMachine+Ends.swift).
actor MediaItem {
    let key: CacheKey
    let request: MediaRequest
    let context: FSContext
    private var machine: ItemMachine
    private var heads: [Int: CheckedContinuation<CachedItem, any Error>] = [:]
    private var blocks: [Int: CheckedContinuation<[UInt8], any Error>] = [:]
    private var urls: [Int: CheckedContinuation<(url: String, generation: Int), any Error>] = [:]
    private var streams: [Int: CheckedContinuation<Void, Never>] = [:]
    private var drains: [Int: CheckedContinuation<Void, Never>] = [:]
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var waiterCount = 0
    /// What the waiting readers need of each block, read by the streams (PartialDemand).
    let partialDemand = PartialDemand()

    /// Item actors alive in the process (the inode table's, and dropped ones still finishing work).
    static let alive = Atomic<Int>(0)

    deinit { Self.alive.subtract(1, ordering: .relaxed) }

    init(key: CacheKey, context: FSContext) {
        Self.alive.add(1, ordering: .relaxed)
        self.key = key
        self.context = context
        let row = MediaKinds.row(key.kind)
        self.request = MediaRequest(id: MediaID(key.id)!, hd: row.jssdk, videoProbeLength: context.config.videoWindow)
        let settings = ItemMachine.Settings(
            key: key, blockSize: context.cache.blockSize, window: context.config.videoWindow, windowMax: context.config.videoWindowMax,
            videoProbeLength: context.config.videoWindow, memoryBlocks: context.config.memoryBlocks
        )
        machine = ItemMachine(settings, known: context.cache.item(key))
    }

    var info: CachedItem? { machine.info }
    var blockSize: Int { machine.blockSize }

    // MARK: executing the machine

    private func nextWaiter() -> Int {
        waiterCount += 1
        return waiterCount
    }

    private var present: (Int) -> Bool {
        let cache = context.cache, key = key
        return { cache.mayHold(key, $0) }
    }

    /// Runs an event's actions; meta writes are awaited here, in order (blocks without their meta are lost).
    private func run(_ actions: [ItemAction]) async {
        for item in perform(actions) {
            await storeMeta(item)
        }
    }

    /// Runs an event's actions now, from a synchronous context; its meta writes (rare here) run beside.
    private func runNow(_ actions: [ItemAction]) {
        let metas = perform(actions)
        if !metas.isEmpty { Task { for item in metas { await self.storeMeta(item) } } }
    }

    /// Everything but the meta writes, which are returned.
    private func perform(_ actions: [ItemAction]) -> [CachedItem] {
        var metas: [CachedItem] = []
        for action in actions {
            switch action {
            case .resumeHead(let id, let result): heads.removeValue(forKey: id)?.resume(with: result.mapError { $0 })
            case .cancelHead(let id): heads.removeValue(forKey: id)?.resume(throwing: CancellationError())
            case .resumeBlock(let id, let result): blocks.removeValue(forKey: id)?.resume(with: result.mapError { $0 })
            case .cancelBlock(let id): blocks.removeValue(forKey: id)?.resume(throwing: CancellationError())
            case .resumeURL(let id, let result): urls.removeValue(forKey: id)?.resume(with: result.mapError { $0 })
            case .resumeStream(let id): streams.removeValue(forKey: id)?.resume()
            case .resumeDrain(let id): drains.removeValue(forKey: id)?.resume()
            case .startTransfer(let plan): startTransfer(plan)
            case .cancelTransfer(let id): tasks.removeValue(forKey: id)?.cancel()
            case .refreshURL: refreshURL()
            case .storeBlock(let block, let data): Task { await self.storeBlock(block, data) }
            case .storeMeta(let item): metas.append(item)
            case .log(let level, let message): context.logger.log(level: level, "\(message)")
            }
        }
        if machine.demandChanged {
            machine.demandChanged = false
            partialDemand.publish(machine.demand)
        }
        reportIfIdle()
        return metas
    }

    // MARK: head

    /// The item's size and type; the first call starts the one upstream transfer that also brings the bytes.
    func ensureInfo() async throws -> CachedItem {
        if let info = machine.info { return info }
        if machine.transfers.isEmpty, let loaded = try? await context.cache.loadItem(key) {
            // A slower tier (a shared archive) knew it: no upstream call for its head.
            runNow(machine.loaded(loaded))
        }
        if let info = machine.info { return info }
        if machine.transfers.isEmpty, await context.cache.claimFetch(key) == .landed, machine.info == nil,
           let loaded = try? await context.cache.loadItem(key) {
            // Another host of the fleet fetched it while this one waited: no upstream call at all.
            runNow(machine.loaded(loaded))
        }
        if let info = machine.info { return info }
        let waiter = nextWaiter()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CachedItem, any Error>) in
                heads[waiter] = continuation
                runNow(machine.headWanted(waiter))
                if Task.isCancelled { runNow(machine.headAbandoned(waiter)) }
            }
        } onCancel: {
            Task { await self.abandonHead(waiter) }
        }
    }

    private func abandonHead(_ waiter: Int) { runNow(machine.headAbandoned(waiter)) }

    /// What an answer said (BlockAssembler): false when it contradicts what is known, to stop the transfer.
    func headArrived(_ head: MediaHead, transfer: Int, probeEnd: Int?) async -> Bool {
        let (accepted, actions) = machine.headArrived(head, transfer: transfer, probeEnd: probeEnd, now: context.clock.now(), created: created())
        await run(actions)
        return accepted
    }

    /// When the item was created, as the recorded follower messages say (asked once, before its first meta).
    private func created() -> Double? { machine.info == nil ? context.created(key) : nil }

    // MARK: blocks

    /// Bytes `offset..<offset+count` of this item, clamped to its size.
    func read(offset: Int64, count: Int) async throws -> [UInt8] {
        let info = try await ensureInfo()
        let end = min(info.size, offset + Int64(count))
        guard offset < end else { return [] }
        let firstBlock = Int(offset / Int64(blockSize))
        if Int((end - 1) / Int64(blockSize)) == firstBlock {
            // The usual case (aligned kernel reads): one block, at most one copy (none for a whole block).
            let inBlock = Int(offset - Int64(firstBlock) * Int64(blockSize))
            return try await blockBytes(firstBlock, inBlock..<(inBlock + Int(end - offset)))
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(end - offset))
        var position = offset
        while position < end {
            let block = Int(position / Int64(blockSize))
            let inBlock = Int(position - Int64(block) * Int64(blockSize))
            let length = min(info.blockLength(block) - inBlock, Int(end - position))
            result += try await blockBytes(block, inBlock..<(inBlock + length))
            position += Int64(length)
        }
        return result
    }

    private func blockBytes(_ block: Int, _ range: Range<Int>) async throws -> [UInt8] {
        defer {
            // Most reads start nothing: then nothing is run (no idle report per block of a warm read).
            let ahead = machine.blockRead(block, present: present)
            if !ahead.isEmpty { runNow(ahead) }
        }
        while true {
            if let data = machine.landed(block) {
                context.counters.hit()  // in memory, just received: no wait
                return try slice(data, range, block: block)
            }
            let commits = machine.commits
            do {
                if let bytes = try await context.cache.bytes(key, block, range: range) {
                    context.counters.hit()
                    return bytes
                }
            } catch {
                throw FSError(.io, "cache read of \(key) failed: \(error)")
            }
            // A block committed while the cache was asked may have reached it meanwhile: look again.
            if machine.commits != commits { continue }
            context.counters.miss()
            let waiter = nextWaiter()
            let data: [UInt8] = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                    blocks[waiter] = continuation
                    runNow(machine.blockWanted(waiter, block: block, need: range.upperBound, present: present))
                    if Task.isCancelled { runNow(machine.blockAbandoned(waiter, block: block, present: present)) }
                }
            } onCancel: {
                Task { await self.abandon(waiter, block: block) }
            }
            return try slice(data, range, block: block)
        }
    }

    private func abandon(_ waiter: Int, block: Int) { runNow(machine.blockAbandoned(waiter, block: block, present: present)) }

    /// The bytes of a received block; a block shorter than the item's size says is the server's error, not a
    /// reason to make up bytes.
    private func slice(_ data: [UInt8], _ range: Range<Int>, block: Int) throws -> [UInt8] {
        guard range.upperBound <= data.count else {
            throw FSError(.io, "\(key): block \(block) came with \(data.count) bytes, fewer than the size announced")
        }
        return range == 0..<data.count ? data : Array(data[range])  // a whole block: no copy
    }

    /// The first `prefix.count` bytes of `block`, still arriving (BlockAssembler).
    func partialArrived(_ block: Int, _ prefix: [UInt8]) { runNow(machine.partialArrived(block, prefix)) }

    /// A whole block from a stream (BlockAssembler): returns once the stream may go on (a disk-write slot).
    func commit(_ block: Int, data: CheckedBlock, transfer: Int) async {
        let stream = nextWaiter()
        let (wait, actions) = machine.blockCommitted(block, data: data, transfer: transfer, stream: stream, cached: context.cache.mayHold(key, block))
        guard wait else { return runNow(actions) }
        await withCheckedContinuation { continuation in
            streams[stream] = continuation
            runNow(actions)
        }
    }

    private func storeBlock(_ block: Int, _ data: CheckedBlock) async {
        var stored = false
        do {
            try await context.cache.store(key, block, data)
            stored = true
        } catch {
            // A full or failing disk: keep serving correct bytes from memory (bounded), never a corrupt entry.
            let reason = (error as? CacheIOError).map { Errno(rawValue: $0.errno).description } ?? "\(error)"
            context.counters.storeFailed(reason)
            context.warnings.warn(cause: "store: \(reason)", "the cache cannot store blocks (\(reason)); reads go on from memory and upstream")
            context.logger.debug("cannot store block \(block) of \(key): \(error)")
        }
        runNow(machine.blockStored(block, stored: stored))
    }

    private func storeMeta(_ item: CachedItem) async {
        do {
            try await context.cache.storeItem(item, for: key)
        } catch {
            context.warnings.warn(cause: "meta: \((error as? CacheIOError).map { Errno(rawValue: $0.errno).description } ?? "other")",
                                  "cannot record items in the cache (\(error)); reads go on from memory and upstream")
        }
        runNow(machine.metaStored())
    }

    /// Returns once every block received so far is on disk (or refused by it): before a process exits.
    func drain() async {
        guard !machine.isDrained else { return }
        let waiter = nextWaiter()
        await withCheckedContinuation { continuation in
            drains[waiter] = continuation
            runNow(machine.drainWanted(waiter))
        }
    }

    func streamEnded(_ transfer: Int, total: Int64, firstBlock: Int) async {
        tasks.removeValue(forKey: transfer)
        await run(machine.streamEnded(transfer, total: total, firstBlock: firstBlock, now: context.clock.now(), created: created(), present: present))
    }

    func transferFailed(_ transfer: Int, error: any Error) async {
        tasks.removeValue(forKey: transfer)
        await run(machine.transferFailed(transfer, error: FSError(error), now: context.clock.now(), present: present))
        // Failed before WeChat said what the item is: a fleet lease taken for it is let go at once.
        if machine.info == nil { await context.cache.releaseClaim(key) }
    }

    // MARK: transfers and URLs (MediaItem+Transfer.swift runs them)

    func track(_ transfer: Int, _ task: Task<Void, Never>) { tasks[transfer] = task }

    /// Past the last block a transfer claims now (a first transfer's end is set by its answer).
    func claimEnd(_ transfer: Int) -> Int? { machine.transfers[transfer]?.end }

    /// A fresh `video_url` after the one of `generation` expired: one media/get for all who find it expired.
    func freshVideoURL(replacing generation: Int) async throws -> (url: String, generation: Int) {
        let waiter = nextWaiter()
        return try await withCheckedThrowingContinuation { continuation in
            urls[waiter] = continuation
            runNow(machine.urlExpired(waiter, generation: generation))
        }
    }

    func urlArrived(_ result: Result<String, FSError>) async {
        switch result {
        case .success(let url): await run(machine.urlRefreshed(url, now: context.clock.now()))
        case .failure(let error): await run(machine.urlRefreshFailed(error, now: context.clock.now()))
        }
    }

    /// No work left and nothing a new actor would not start from: the inode table may let it go.
    func reportIfIdle() {
        guard machine.isIdle, context.cache.item(key) == machine.info else { return }
        context.idle(key, self)
    }
}
