import Logging
import Synchronization
import MediaCache
import WeChatAPI

/// One media item: its head, its block transfers and the readers waiting for blocks.
///
/// Single-flight: a transfer claims the blocks `next..<end`; a reader needing a claimed block waits for it
/// instead of fetching it again. A block lands in `landing` before its disk write (which runs beside the
/// stream), so a reader arriving meanwhile is served from memory and never starts a second transfer.
actor MediaItem {
    struct Transfer {
        var next: Int
        var end: Int
        /// Started without a video_url: its media/get answer may bring a new one.
        var asksMediaGet = false
        var task: Task<Void, Never>?
    }

    let key: CacheKey
    let request: MediaRequest
    let context: FSContext
    private(set) var info: CachedItem?
    private var pendingHead: MediaHead?
    private var headWaiters: [Int: CheckedContinuation<CachedItem, any Error>] = [:]
    private var transfers: [Int: Transfer] = [:]
    private var transferCount = 0
    struct BlockWaiter {
        let id: Int
        /// The bytes of the block it needs (its range's end): given as soon as they have arrived.
        let need: Int
        let continuation: CheckedContinuation<[UInt8], any Error>
    }
    private var blockWaiters: [Int: [BlockWaiter]] = [:] {
        didSet { partialDemand.publish(blockWaiters.compactMapValues { $0.map(\.need).min() }) }
    }
    /// What the waiting readers need of each block, read by the streams (PartialDemand).
    let partialDemand = PartialDemand()
    /// Blocks a reader got part of before they were whole: `drain` waits for them to land (or their stream to
    /// end), so a process that exits after its read (`get`) still leaves the block in the cache.
    private var partialServed: Set<Int> = []
    /// Partly served blocks fetched again after their stream ended without them (once each).
    private var partialRefetched: Set<Int> = []
    private var waiterCount = 0
    /// Blocks just received (before their disk write ends) or refused by the disk; bounded.
    private var landing: [Int: [UInt8]] = [:]
    private var landingOrder: [Int] = []
    private var window: Int64
    /// Disk writes under way, and streams waiting for one to end (bounded backpressure).
    private var storing = 0
    /// Meta writes under way (the item's info, a fresh video_url, `goneAt`).
    private var writingMeta = 0
    private var storeSlots: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var expectedNext = 0
    /// Bumped each time media/get gives a fresh video_url (transfers remember the generation they used).
    private var urlGeneration = 0
    private var urlObtainedAt: Double? {
        didSet { urlServed = false }
    }
    /// The current video_url has served bytes: a 404 from it now means it expired, never "not ready yet".
    private var urlServed = false
    private var refreshingURL = false
    private var urlWaiters: [CheckedContinuation<(String, Int), any Error>] = []
    /// Set once the server said the item no longer exists; uncached reads fail with it, without a call.
    private var goneError: FSError?

    /// Item actors alive in the process (the inode table's, and dropped ones still finishing work).
    static let alive = Atomic<Int>(0)

    deinit { Self.alive.subtract(1, ordering: .relaxed) }

    init(key: CacheKey, context: FSContext) {
        Self.alive.add(1, ordering: .relaxed)
        self.key = key
        self.context = context
        self.request = MediaRequest(id: MediaID(key.id)!, hd: MediaKinds.row(key.kind).jssdk, videoProbeLength: context.config.videoWindow)
        self.window = context.config.videoWindow
        self.info = context.cache.item(key)
        if let goneAt = info?.goneAt {
            goneError = FSError(.io, "\(key) is no longer on the server (gone since \(Int(goneAt))); only its cached blocks can be read", logged: true)
        }
    }

    var blockSize: Int { context.cache.blockSize }

    // MARK: head

    /// The item's size and type; the first call starts the one upstream transfer that also brings the bytes.
    func ensureInfo() async throws -> CachedItem {
        if let info { return info }
        if transfers.isEmpty && headWaiters.isEmpty {
            startTransfer(from: 0, end: Int.max, range: nil)
        }
        waiterCount += 1
        let waiter = waiterCount
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CachedItem, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                headWaiters[waiter] = continuation
            }
        } onCancel: {
            Task { await self.abandonHead(waiter) }
        }
    }

    /// Records what an answer said. Returns false when it contradicts what is known (another size: the bytes
    /// would not be this item's), so the transfer stops before delivering anything.
    func headArrived(_ head: MediaHead, transfer: Int, probeEnd: Int?) async -> Bool {
        if let known = info?.size, let total = head.totalSize, known != total {
            context.logger.warning("\(key): the server now says \(total) bytes, not \(known); refusing the answer")
            return false
        }
        if let probeEnd {
            // The first transfer: a video probe answered 206 brings only the probe; anything else is the whole item.
            let probing = head.videoURL != nil && head.rangeSupported
            transfers[transfer]?.end = probing ? probeEnd : Int.max
            if probing { expectedNext = probeEnd }
        }
        if var known = info {
            if let url = head.videoURL, url != known.videoURL, transfers[transfer]?.asksMediaGet == true {
                // media/get gave this transfer a new video_url: keep it (in memory and in the meta).
                known.videoURL = url
                info = known
                urlGeneration += 1
                urlObtainedAt = context.clock.now()
                await persistInfo(known)
            }
            return true
        }
        if head.videoURL != nil { urlObtainedAt = context.clock.now() }
        guard let size = head.totalSize else {
            pendingHead = head  // no Content-Length: the size is known only at the end of the stream
            return true
        }
        await install(head, size: size)
        return true
    }

    private func install(_ head: MediaHead, size: Int64) async {
        let now = context.clock.now()
        let created = context.created(key).flatMap { $0 < now ? $0 : nil }
        let item = CachedItem(
            size: size, contentType: head.contentType, filename: head.filename, fileExtension: head.fileExtension,
            rangeSupported: head.rangeSupported, videoURL: head.videoURL, fetchedAt: now, blockSize: blockSize, createdAt: created
        )
        info = item
        let waiters = headWaiters
        headWaiters = [:]
        for waiter in waiters.values { waiter.resume(returning: item) }
        await persistInfo(item)
    }

    // MARK: blocks

    /// Bytes `range` (inside the item) of this item; the caller clamped it to the size.
    func read(offset: Int64, count: Int) async throws -> [UInt8] {
        let info = try await ensureInfo()
        let end = min(info.size, offset + Int64(count))
        guard offset < end else { return [] }
        let firstBlock = Int(offset / Int64(blockSize))
        if Int((end - 1) / Int64(blockSize)) == firstBlock {
            // The usual case (aligned kernel reads): one block, at most one copy (none for a whole block).
            let inBlock = Int(offset - Int64(firstBlock) * Int64(blockSize))
            return try await blockBytes(firstBlock, inBlock..<(inBlock + Int(end - offset)), info: info)
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(end - offset))
        var position = offset
        while position < end {
            let block = Int(position / Int64(blockSize))
            let inBlock = Int(position - Int64(block) * Int64(blockSize))
            let length = min(info.blockLength(block) - inBlock, Int(end - position))
            result += try await blockBytes(block, inBlock..<(inBlock + length), info: info)
            position += Int64(length)
        }
        return result
    }

    private func blockBytes(_ block: Int, _ range: Range<Int>, info: CachedItem) async throws -> [UInt8] {
        defer { readAhead(after: block, info: info) }
        while true {
            if let data = landing[block] {
                context.counters.hit()  // in memory, just received: no wait
                return try slice(data, range, block: block)
            }
            if context.cache.hasBlock(key, block) {
                do {
                    if let bytes = try await context.cache.read(key, block: block, range: range) {
                        context.counters.hit()
                        return bytes
                    }
                } catch {
                    throw FSError(.io, "cache read of \(key) failed: \(error)")
                }
                continue  // the block failed its check and was dropped: fetch it again
            }
            context.counters.miss()
            if let goneError, !isClaimed(block) { throw goneError }
            if !isClaimed(block) { schedule(from: block, info: info) }
            waiterCount += 1
            let waiter = waiterCount
            let data: [UInt8] = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    blockWaiters[block, default: []].append(BlockWaiter(id: waiter, need: range.upperBound, continuation: continuation))
                }
            } onCancel: {
                Task { await self.abandon(waiter, block: block) }
            }
            return try slice(data, range, block: block)
        }
    }

    /// The bytes of a received block; a block shorter than the item's size says is the server's error, not a
    /// reason to make up bytes.
    private func slice(_ data: [UInt8], _ range: Range<Int>, block: Int) throws -> [UInt8] {
        guard range.upperBound <= data.count else {
            throw FSError(.io, "\(key): block \(block) came with \(data.count) bytes, fewer than the size announced")
        }
        return range == 0..<data.count ? data : Array(data[range])  // a whole block: no copy
    }

    private func isClaimed(_ block: Int) -> Bool {
        transfers.values.contains { $0.next <= block && block < $0.end }
    }

    private func isPresent(_ block: Int) -> Bool {
        landing[block] != nil || context.cache.hasBlock(key, block) || isClaimed(block)
    }

    /// Starts the transfer that will bring `block`: a window (doubling when sequential) where the origin
    /// honours Range, else one stream of the whole item.
    private func schedule(from block: Int, info: CachedItem) {
        guard info.rangeSupported else {
            // One stream to the end, from the first block not cached (after a crash or an eviction): a server
            // that honours Range sends only the rest; one that ignores it sends everything, and the cached
            // blocks are skipped, not rewritten. Either way it is one more call, which cannot be avoided.
            var first = 0
            while first < info.blockCount(), landing[first] != nil || context.cache.hasBlock(key, first) { first += 1 }
            let from = min(first, block)
            startTransfer(from: from, end: Int.max, range: from > 0 ? ByteRange(offset: Int64(from) * Int64(blockSize)) : nil)
            return
        }
        window = block == expectedNext ? min(window * 2, context.config.videoWindowMax) : context.config.videoWindow
        let limit = min(info.blockCount(), block + max(1, Int(window / Int64(blockSize))))
        var end = block + 1
        while end < limit, !isPresent(end) { end += 1 }
        let offset = Int64(block) * Int64(blockSize)
        let length = min(info.size, Int64(end) * Int64(blockSize)) - offset
        expectedNext = end
        startTransfer(from: block, end: end, range: ByteRange(offset: offset, length: length))
    }

    /// Sequential readers get the next window before they reach it.
    private func readAhead(after block: Int, info: CachedItem) {
        guard info.rangeSupported, block + 1 < info.blockCount(), expectedNext < info.blockCount() else { return }
        let half = max(1, Int(window / Int64(blockSize)) / 2)
        if block + half >= expectedNext, block < expectedNext, !isPresent(expectedNext) {
            schedule(from: expectedNext, info: info)
        }
    }

    private func startTransfer(from block: Int, end: Int, range: ByteRange?) {
        transferCount += 1
        let id = transferCount
        var request = request
        request.videoURL = info?.videoURL
        request.videoURLIsFresh = urlIsFresh
        // A transfer without a URL asks media/get itself: the URL its answer brings is news (see headArrived).
        transfers[id] = Transfer(next: block, end: end, asksMediaGet: request.videoURL == nil)
        let generation = urlGeneration
        let probeEnd = Int(((request.videoProbeLength ?? 0) + Int64(blockSize) - 1) / Int64(blockSize))
        let sink = BlockAssembler(item: self, transfer: id, firstBlock: block, blockSize: blockSize, probeEnd: range == nil ? max(1, probeEnd) : nil,
                                  demand: partialDemand)
        let downloader: any MediaDownloading = switch MediaKinds.row(key.kind).source {
        case .decodedVoice: context.voice
        case .downloader: context.downloader
        }
        let task = Task.detached {
            do {
                var request = request
                var generation = generation
                var refreshed = false
                while true {
                    do {
                        _ = try await downloader.download(request, range: await self.rest(of: id, range, from: block, sink: sink), into: sink)
                        break
                    } catch let error as WeChatError where error.kind == .expiredURL && !refreshed {
                        // One refresh per transfer: a URL fresh from media/get that fails again is an error, not a loop.
                        (request.videoURL, generation) = try await self.freshVideoURL(replacing: generation, because: error)
                        request.videoURLIsFresh = true
                        refreshed = true
                    }
                }
                try await sink.finish()
            } catch {
                await self.transferFailed(id, error: error)
            }
        }
        transfers[id]?.task = task
    }

    /// What a transfer still has to ask after a refresh: never what the sink already has, and never past the
    /// blocks it claims (a probe stays a probe).
    private func rest(of transfer: Int, _ range: ByteRange?, from block: Int, sink: BlockAssembler) -> ByteRange? {
        let delivered = sink.delivered
        if let range { return ByteRange(offset: range.offset + delivered, length: range.length.map { $0 - delivered }) }
        guard delivered > 0 else { return nil }
        let offset = Int64(block) * Int64(blockSize) + delivered
        guard let end = transfers[transfer]?.end, end != Int.max else { return ByteRange(offset: offset) }
        let limit = Int64(end) * Int64(blockSize)
        return ByteRange(offset: offset, length: max(1, limit - offset))
    }

    // MARK: video URLs

    /// A fresh `video_url` after the one of `generation` expired: one media/get for any number of transfers
    /// that find the same URL expired (they wait for the first one's call), used and persisted at once.
    /// If the server says the item is gone (40007 after its 3 days), the item is marked gone for good.
    func freshVideoURL(replacing generation: Int, because error: WeChatError) async throws -> (String, Int) {
        if let goneError { throw goneError }
        if urlGeneration > generation, let url = info?.videoURL { return (url, urlGeneration) }
        if refreshingURL {
            let joined = try await withCheckedThrowingContinuation { urlWaiters.append($0) }
            // The refresh under way may be the one that gave the URL this caller found expired (it joined while
            // that URL was being persisted): then it asks again rather than take back the same URL.
            if joined.1 > generation { return joined }
            return try await freshVideoURL(replacing: generation, because: error)
        }
        refreshingURL = true
        defer { refreshingURL = false }
        context.logger.info("\(key): its video_url expired (\(error.shortDescription)); asking media/get for a fresh one")
        let result: Result<(String, Int), any Error>
        do {
            // Its own Task: the transfer that happens to ask may be cancelled, the others still wait for the answer.
            let downloader = context.downloader, request = request
            let url = try await Task { try await downloader.videoURL(for: request) }.value
            urlGeneration += 1
            urlObtainedAt = context.clock.now()
            result = .success((url, urlGeneration))
            if var updated = info {
                updated.videoURL = url
                info = updated
                await persistInfo(updated)
            }
        } catch {
            let fsError = FSError(error)
            if fsError.errno == .noEntry {
                result = .failure(await markGone(fsError))
            } else {
                result = .failure(fsError)
            }
        }
        let waiters = urlWaiters
        urlWaiters = []
        for waiter in waiters { waiter.resume(with: result) }
        return try result.get()
    }

    /// A URL fresh from media/get may answer 404 for a few seconds; only then is a 404 worth waiting out.
    private var urlIsFresh: Bool {
        guard let urlObtainedAt, !urlServed else { return false }
        return context.clock.now() - urlObtainedAt < MediaClient.freshURLWindow
    }

    /// The server no longer has this item: cached blocks still read, the rest fails at once with EIO.
    private func markGone(_ cause: FSError) async -> FSError {
        let error = FSError(.io, "\(key) is no longer on the server (\(cause.message)); only its cached blocks can be read", logged: true)
        guard goneError == nil else { return error }
        goneError = error
        context.logger.warning("\(key) expired on the server: its cached blocks still read, every other read fails with EIO")
        if var updated = info {
            updated.goneAt = context.clock.now()
            info = updated
            await persistInfo(updated)
        }
        return error
    }

    private func persistInfo(_ item: CachedItem) async {
        writingMeta += 1  // `drain` waits for it too: blocks without their meta are lost at the next start
        do {
            try await context.cache.storeItem(item, for: key)
        } catch {
            context.warnings.warn(cause: "meta: \((error as? CacheIOError).map { Errno(rawValue: $0.errno).description } ?? "other")",
                                  "cannot record items in the cache (\(error)); reads go on from memory and upstream")
        }
        writingMeta -= 1
        writeEnded()
    }

    /// The first `prefix.count` bytes of `block`, still arriving: the readers whose ranges they cover get them now.
    func partialArrived(_ block: Int, _ prefix: [UInt8]) {
        guard let waiters = blockWaiters[block] else { return }
        let served = waiters.filter { $0.need <= prefix.count }
        guard !served.isEmpty else { return }
        let rest = waiters.filter { $0.need > prefix.count }
        blockWaiters[block] = rest.isEmpty ? nil : rest
        partialServed.insert(block)
        for waiter in served { waiter.continuation.resume(returning: prefix) }
    }

    func commit(_ block: Int, data: [UInt8], transfer: Int) async {
        transfers[transfer]?.next = block + 1
        defer { if partialServed.remove(block) != nil { writeEnded() } }
        if info?.videoURL != nil || pendingHead?.videoURL != nil { urlServed = true }
        remember(block, data)
        for waiter in blockWaiters.removeValue(forKey: block) ?? [] { waiter.continuation.resume(returning: data) }
        guard !context.cache.hasBlock(key, block) else { return forgetLanding(block) }
        // The disk write runs beside the stream (at most `maxPendingStores` at once, then the stream waits),
        // so the network and the disk work in parallel; readers find the block in `landing` meanwhile.
        while storing >= Self.maxPendingStores {
            await withCheckedContinuation { storeSlots.append($0) }
        }
        storing += 1
        Task { await self.persist(block, data) }
    }

    static let maxPendingStores = 4

    private func persist(_ block: Int, _ data: [UInt8]) async {
        do {
            try await context.cache.store(key, block: block, data: data)
            forgetLanding(block)
        } catch {
            // A full or failing disk: keep serving correct bytes from memory (bounded), never a corrupt entry.
            let reason = (error as? CacheIOError).map { Errno(rawValue: $0.errno).description } ?? "\(error)"
            context.counters.storeFailed(reason)
            context.warnings.warn(cause: "store: \(reason)", "the cache cannot store blocks (\(reason)); reads go on from memory and upstream")
            context.logger.debug("cannot store block \(block) of \(key): \(error)")
        }
        storing -= 1
        if !storeSlots.isEmpty { storeSlots.removeFirst().resume() }
        writeEnded()
    }

    /// A block or meta write ended: `drain` may return once none is left.
    private func writeEnded() {
        if storing == 0, writingMeta == 0, partialServed.isEmpty {
            let waiting = drainWaiters
            drainWaiters = []
            for waiter in waiting { waiter.resume() }
        }
        reportIfIdle()
    }

    /// Partly served blocks no stream will bring any more: nothing to wait for.
    /// A reader that got part of a block is done, but the block itself is fetched whole once more, so that what
    /// was read is cached (as when readers waited for whole blocks); once only, so a failing upstream cannot loop.
    private func settlePartials() {
        let orphans = partialServed.filter { !isClaimed($0) }
        guard !orphans.isEmpty else { return }
        partialServed.subtract(orphans)
        if let info, goneError == nil {
            for block in orphans.sorted() where !isPresent(block) && !partialRefetched.contains(block) && !isClaimed(block) {
                partialRefetched.insert(block)
                schedule(from: block, info: info)
                // Still owed to `drain` until the refetch commits it (or its stream ends too).
                if isClaimed(block) { partialServed.insert(block) }
            }
        }
        writeEnded()
    }

    /// Returns once every block received so far is on disk (or refused by it): before a process exits.
    func drain() async {
        guard storing > 0 || writingMeta > 0 || !partialServed.isEmpty else { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }

    func streamEnded(_ transfer: Int, total: Int64, firstBlock: Int) async {
        transfers.removeValue(forKey: transfer)
        settlePartials()
        if info == nil, let head = pendingHead, firstBlock == 0 {
            await install(head, size: total)
        }
        reconsiderWaiters(error: nil)
        reportIfIdle()
    }

    private func transferFailed(_ transfer: Int, error: any Error) async {
        // Gone already: stopped because nobody waited for it (`abandon`); its end is no news to anyone.
        guard transfers.removeValue(forKey: transfer) != nil else { return }
        settlePartials()
        var fsError = FSError(error)
        if info != nil, fsError.errno == .noEntry {
            // A known item the server no longer has (40007 after its 3 days, blocks evicted meanwhile).
            fsError = await markGone(fsError)
        }
        if fsError.logged {
            context.logger.debug("transfer of \(key) failed: \(fsError.message)")  // said once already
        } else {
            context.logger.info("transfer of \(key) failed: \(fsError.message)")
        }
        if info == nil {
            let waiters = headWaiters
            headWaiters = [:]
            for waiter in waiters.values { waiter.resume(throwing: fsError) }
        }
        reconsiderWaiters(error: fsError)
        reportIfIdle()
    }

    /// After a transfer ends: readers of blocks nobody will bring get the error, or a new transfer.
    private func reconsiderWaiters(error: FSError?) {
        for (block, waiters) in blockWaiters where !isClaimed(block) && landing[block] == nil {
            if let error {
                blockWaiters.removeValue(forKey: block)
                for waiter in waiters { waiter.continuation.resume(throwing: error) }
            } else if let info {
                schedule(from: block, info: info)
            }
        }
    }

    /// A lookup gave up waiting for the size (interrupted). If nobody else waits for anything of a video whose
    /// stream has no length, that CDN stream stops; it starts again at the next lookup.
    private func abandonHead(_ waiter: Int) {
        headWaiters.removeValue(forKey: waiter)?.resume(throwing: CancellationError())
        guard info == nil, headWaiters.isEmpty, blockWaiters.isEmpty, pendingHead?.videoURL != nil else { return }
        context.logger.debug("\(key): nobody waits for its size any more; stopping its stream")
        for transfer in transfers.values { transfer.task?.cancel() }
        transfers.removeAll()
        pendingHead = nil
    }

    /// A reader gave up (its request was interrupted): it gets CancellationError now. A CDN transfer that nobody
    /// waits for any more stops (a window is cheap to ask again); a media/get stream goes on, since it is the
    /// item's one upstream call and stopping it would cost another.
    private func abandon(_ waiter: Int, block: Int) {
        guard var waiters = blockWaiters[block], let index = waiters.firstIndex(where: { $0.id == waiter }) else { return }
        let gone = waiters.remove(at: index)
        blockWaiters[block] = waiters.isEmpty ? nil : waiters
        gone.continuation.resume(throwing: CancellationError())
        guard info?.videoURL != nil,
              let (id, transfer) = transfers.first(where: { $0.value.next <= block && block < $0.value.end }),
              !blockWaiters.keys.contains(where: { transfer.next <= $0 && $0 < transfer.end }) else { return }
        context.logger.debug("\(key): nobody waits for blocks \(transfer.next)..<\(transfer.end) any more; stopping that transfer")
        transfer.task?.cancel()
        transfers.removeValue(forKey: id)
        settlePartials()  // its stream will not report (it is gone already): what it served in part is settled here
        reconsiderWaiters(error: nil)
    }

    /// No transfer, waiter, pending write, refresh or block kept only in memory: the actor may be let go
    /// (everything it knows is in the cache index); the inode table decides (it keeps items that are open).
    func reportIfIdle() {
        guard let info, transfers.isEmpty, headWaiters.isEmpty, blockWaiters.isEmpty, storing == 0, writingMeta == 0, storeSlots.isEmpty,
              landing.isEmpty, !refreshingURL, urlWaiters.isEmpty,
              context.cache.item(key) == info  // what a new actor would start from (not yet written: keep this one)
        else { return }
        context.idle(key, self)
    }

    private func remember(_ block: Int, _ data: [UInt8]) {
        if landing.updateValue(data, forKey: block) == nil { landingOrder.append(block) }
        while landingOrder.count > context.config.memoryBlocks {
            landing.removeValue(forKey: landingOrder.removeFirst())
        }
    }

    private func forgetLanding(_ block: Int) {
        landing.removeValue(forKey: block)
        landingOrder.removeAll { $0 == block }
    }
}
