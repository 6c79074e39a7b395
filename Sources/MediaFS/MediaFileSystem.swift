import Locking
import Foundation
import Logging
import MediaCache
import Synchronization
import WeChatAPI

/// The filesystem: a root with `media/`, `hd/` and `.wxmediafs/stats`. See MediaFS.swift.
public final class MediaFileSystem: Sendable {
    let context: FSContext
    let inodes = Mutex(InodeTable())
    let handles = Mutex(HandleTable())
    /// Ids that answered "not found", until when (clock seconds); bounded.
    let negative: Mutex<NegativeCache>
    /// What made-up ids may cost (UnknownIDGuard).
    let unknownIDs: Mutex<UnknownIDGuard>
    let upstream: @Sendable () -> UpstreamStats
    /// Today's upstream calls, kept in the cache directory (nil: not counted by day, no `quota` in the stats).
    public let quota: QuotaStore?
    let started: Double
    /// FUSE operation latencies, recorded by the bridge (the filesystem itself knows nothing of FUSE requests).
    public let latencies = OperationLatencies()
    /// Warnings a user must see (failed reads, a refusing disk), one line per cause a minute.
    public let warnings: WarningLimiter
    /// The block cache's block: the unit of every download, disk write and in-memory buffer.
    public var blockSize: Int { context.cache.blockSize }
    /// The follower messages recorded in the cache directory (`inbox/`, names in `media/`).
    let messages: MessageRegistry
    let inboxCache = Mutex<(key: String, tree: InboxTree)?>(nil)
    /// `upload/`: present when the filesystem can upload (an uploader was given).
    let uploads: UploadArea?
    let uploader: (any MediaUploading)?

    /// `directory` holds what is not cache (messages, uploads, quota): the cache directory when on disk.
    public init(downloader: any MediaDownloading, cache: any DataCache, directory: String, mediaLife: Double = CachedItem.mediaLife,
                clock: any APIClock = SystemClock(),
                config: FSConfiguration = FSConfiguration(), logger: Logger,
                upstream: @escaping @Sendable () -> UpstreamStats = { UpstreamStats() }, quota: QuotaStore? = nil,
                uploader: (any MediaUploading)? = nil) {
        let idle = IdleHook()
        let speex = SpeexReader()
        warnings = WarningLimiter(logger: logger, clock: { clock.now() })
        context = FSContext(downloader: downloader, voice: DecodedVoiceSource(speex: speex, logger: logger), cache: cache,
                            life: MediaLife(seconds: mediaLife), clock: clock,
                            config: config, counters: FSCounters(), logger: logger, idle: idle, warnings: warnings, created: CreationHint())
        self.upstream = upstream
        self.quota = quota
        messages = MessageRegistry(directory: directory, clock: clock, life: mediaLife)
        self.uploader = uploader
        uploads = uploader.map { _ in UploadArea(directory: directory + "/uploads", life: mediaLife, now: clock.now()) }
        let saveWarnings = warnings
        uploads?.onSaveFailure { saveWarnings.warn(cause: "upload manifest", $0) }
        negative = Mutex(NegativeCache(limit: config.negativeCacheLimit))
        unknownIDs = Mutex(UnknownIDGuard(limits: config.unknownIDs, now: clock.now()))
        started = clock.now()
        idle.install { [weak self] key, item in self?.inodes.locked { $0.idle(key, item) } }
        context.created.install { [weak self] key in
            guard key.kind == .media, let self else { return nil }
            return self.inbox().created[key.id].map(Double.init)
        }
        speex.install { [weak self] id in
            guard let self else { throw FSError(.io, "the filesystem is gone") }
            return try await self.speexStream(id)
        }
    }

    public var configuration: FSConfiguration { context.config }

    /// What the cache holds and its budget, in bytes (`df` of the mount).
    public func cacheCapacity() -> (used: Int64, budget: Int64) {
        let statistics = context.cache.statistics()
        return (statistics.bytes, statistics.budget)
    }

    /// The follower messages recorded in the cache directory (by the callback, `ingest`, or another host).
    public func recordedMessages() -> [FollowerMessage] { messages.messages }

    /// Records pushed messages (the live callback) in the cache directory's messages file; returns how many were
    /// new. When the file must be compacted, a message past the media life keeps its line while its media is
    /// cached (its inbox link still reads).
    public func record(_ pushed: [FollowerMessage]) throws -> Int {
        try messages.record(pushed) { context.cache.item(CacheKey(kind: .media, id: $0.mediaID.rawValue)) != nil }
    }

    // MARK: lookup and attributes

    public func lookup(parent: UInt64, name: String) async throws -> FileAttributes {
        context.counters.lookup()
        do {
            let attributes = try await resolve(parent: parent, name: name)
            if NodeID(attributes.inode).isItem {
                inodes.locked { $0.looked(attributes.inode) }  // its pending lookup
                // A lookup answered from the cache leaves its actor with nothing to do: let it go now.
                if let item = inodes.locked({ $0.existingItem(attributes.inode) }) { await item.reportIfIdle() }
            }
            return attributes
        } catch {
            throw counted(error)
        }
    }

    /// A lookup answered without waiting, or nil when it must wait (`lookup`): an item the cache index knows,
    /// as after a remount. The bridge answers these in libfuse's own thread, with no hop to the cooperative pool
    /// and back (two thread wake-ups, most of a cached lookup's cost on a 2-core machine: docs/benchmarks.md).
    public func lookupNow(parent: UInt64, name: String) -> FileAttributes? {
        guard MediaKinds.holdsItems(parent), let parsed = ItemName(name),
              let kind = MediaKinds.kind(in: parent, extension: parsed.fileExtension) else { return nil }
        let key = CacheKey(kind: kind, id: parsed.id.rawValue)
        guard let info = context.cache.item(key), parsed.fileExtension == nil || parsed.fileExtension == info.fileExtension else { return nil }
        context.counters.lookup()
        let inode = inodes.locked { $0.lookedWithoutActor(key) }
        return attributes(inode, info, key: key)
    }

    /// A getattr answered without waiting, or nil when it must wait for an item's first answer (`getattr`).
    public func getattrNow(_ inode: UInt64) -> FileAttributes? {
        guard NodeID(inode).isItem else { return nil }
        guard let key = inodes.locked({ $0.key(inode) }), let info = context.cache.item(key) else { return nil }
        return attributes(inode, info, key: key)
    }

    private func resolve(parent: UInt64, name: String) async throws -> FileAttributes {
        switch parent {
        case Inode.root:
            switch name {
            case "media": return directory(Inode.media)
            case "hd": return directory(Inode.hd)
            case "inbox": return directory(Inode.inbox)
            case "upload" where uploads != nil: return directory(Inode.upload, writable: true)
            case ".wxmediafs": return directory(Inode.control)
            default: throw FSError(.noEntry, "no \(name) at the root")
            }
        case Inode.control:
            guard name == "stats" else { throw FSError(.noEntry, "no .wxmediafs/\(name)") }
            return statsAttributes()
        case Inode.media, Inode.hd:
            guard let parsed = ItemName(name) else { throw FSError(.noEntry, "not a media id: \(name.prefix(140))") }
            guard let kind = MediaKinds.kind(in: parent, extension: parsed.fileExtension) else { throw FSError(.noEntry, "no item kind here") }
            let key = CacheKey(kind: kind, id: parsed.id.rawValue)
            if negative.locked({ $0.contains(key, now: context.clock.now()) }) {
                context.counters.negativeHit()
                throw FSError(.noEntry, "\(parsed.id) is not found (remembered)")
            }
            let id = parsed.id.rawValue
            let known = context.cache.item(key) != nil || inodes.locked({ $0.inode(of: key) }) != nil || inbox().created[id] != nil
            if !known, let refusal = unknownIDs.locked({ $0.reserve(now: context.clock.now()) }) {
                throw FSError(.quota, refusal)
            }
            let (inode, item) = itemFor(key)  // a lookup under way: `looked` or `lookupFailed` follows
            let info: CachedItem
            do {
                info = try await item.ensureInfo()
            } catch {
                inodes.locked { $0.lookupFailed(inode) }
                let fsError = FSError(error)
                let invalid = fsError.errno == .noEntry && fsError.cause != nil  // WeChat said so (not a wrong extension)
                let now = context.clock.now()
                if invalid { negative.locked { $0.insert(key, until: now + context.config.negativeTTL, now: now) } }
                unknownIDs.locked { $0.settle(id, reserved: !known, invalid: invalid, listed: kind == .media, now: now) }
                throw fsError
            }
            unknownIDs.locked { $0.settle(id, reserved: !known, invalid: false, listed: kind == .media, now: context.clock.now()) }
            if let ext = parsed.fileExtension, ext != info.fileExtension {
                inodes.locked { $0.lookupFailed(inode) }
                throw FSError(.noEntry, "\(parsed.id) is a .\(info.fileExtension), not a .\(ext)")
            }
            return attributes(inode, info, key: key)
        case Inode.upload, Inode.uploadTypes:
            return try uploadChild(parent: parent, name: name)
        default:
            guard let children = inbox().children(of: parent) else { throw FSError(.notDirectory, "inode \(parent) is not a directory") }
            guard let entry = children.first(where: { $0.name == name }) else { throw FSError(.noEntry, "no inbox entry \(name.prefix(140))") }
            return try inboxAttributes(entry.inode)
        }
    }

    public func getattr(_ inode: UInt64) async throws -> FileAttributes {
        switch inode {
        case Inode.root, Inode.media, Inode.hd, Inode.control, Inode.inbox: return directory(inode)
        case Inode.stats: return statsAttributes()
        case Inode.upload, Inode.uploadTypes: return directory(inode, writable: true)
        case let inode where NodeID(inode).isInbox: return try inboxAttributes(inode)
        case let inode where Self.isUploadFile(inode): return try uploadAttributes(inode)
        default:
            // Known to the cache index: no actor needed.
            if let key = inodes.locked({ $0.key(inode) }), let info = context.cache.item(key) { return attributes(inode, info, key: key) }
            guard let item = heldItem(inode) else { throw FSError(.noEntry, "unknown inode \(inode)") }
            do {
                return attributes(inode, try await item.ensureInfo(), key: item.key)
            } catch {
                throw counted(error)
            }
        }
    }

    /// Waits until every block received so far is written to the cache (call before the process exits, or
    /// the blocks still in memory are lost and fetched again next time) and the cache's writes to a shared tier are
    /// finished, then writes the day's call count.
    public func drain() async {
        await uploads?.settledAll()
        for item in inodes.locked({ $0.allItems }) { await item.drain() }
        await context.cache.finishWrites()
        await quota?.sync()
    }

    public func forget(_ inode: UInt64, count: UInt64) {
        guard !Self.isUploadFile(inode) else { return }  // not counted: an entry lives until removed
        inodes.locked { $0.forget(inode, count: count) }
    }

    // MARK: helpers

    /// Items held in memory now (the kernel still knows them, or a file is open).
    public var itemsInMemory: Int { inodes.locked { $0.count } }

    /// Item actors the inode table holds now (idle ones are let go).
    var actorsHeld: Int { inodes.locked { $0.actorCount } }

    /// The item of an inode the kernel holds, its actor made again if it was let go while idle.
    func heldItem(_ inode: UInt64) -> MediaItem? {
        let context = context
        return inodes.locked { $0.item(inode) { MediaItem(key: $0, context: context) } }
    }

    /// Ids remembered as not found.
    public var negativeEntries: Int { negative.locked { $0.count } }

    static func placeholderInode(_ key: CacheKey) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(key.kind.rawValue)/\(key.id)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash | NodeID.placeholderBit
    }

    /// The whole speex stream of `hd/<id>.speex`, through the same actor a lookup of it would use (single-flight:
    /// one upstream call serves the .speex and the .wav).
    func speexStream(_ id: MediaID) async throws -> [UInt8] {
        let key = CacheKey(kind: .hd, id: id.rawValue)
        let context = context
        let item = inodes.locked { $0.shared(key) { MediaItem(key: key, context: context) } }
        let info = try await item.ensureInfo()
        guard info.size <= DecodedVoiceSource.largestStream else {
            throw FSError(.io, "hd/\(id).speex is \(info.size) bytes: too large for voice, not decoded")
        }
        return try await item.read(offset: 0, count: Int(info.size))
    }

    private func itemFor(_ key: CacheKey) -> (UInt64, MediaItem) {
        let context = context
        return inodes.locked { $0.item(for: key) { MediaItem(key: key, context: context) } }
    }

    func directory(_ inode: UInt64, writable: Bool = false) -> FileAttributes {
        FileAttributes(inode: inode, size: 0, isDirectory: true, permissions: writable ? 0o755 : 0o555, modified: started)
    }

    /// An item's mtime is its creation time as known at its first fetch (a follower message's CreateTime
    /// recorded by then, an upload's created_at), else the first fetch: fixed, so backup tools see no change.
    private func attributes(_ inode: UInt64, _ info: CachedItem, key: CacheKey) -> FileAttributes {
        FileAttributes(inode: inode, size: info.size, isDirectory: false, permissions: 0o444, modified: info.modified)
    }

    private func statsAttributes() -> FileAttributes {
        FileAttributes(inode: Inode.stats, size: Int64(statsDocument().count), isDirectory: false, permissions: 0o444, modified: context.clock.now())
    }

    func counted(_ error: any Error) -> FSError {
        let fsError = FSError(error)
        context.counters.error(fsError.errno)
        return fsError
    }

    /// A snapshot of every counter and gauge: the stats file's content, and what metrics are made of.
    public func statistics() -> StatsDocument {
        let memory = StatsDocument.Memory(items: itemsInMemory, actors: MediaItem.alive.load(ordering: .relaxed), negativeEntries: negativeEntries)
        return StatsDocument(cache: context.cache.statistics(), filesystem: context.counters.snapshot(), memory: memory, upstream: upstream(),
                             latency: latencies.snapshot(), uptimeSeconds: max(0, context.clock.now() - started),
                             quota: quota?.ledger.status(), shared: context.cache.sharedStatistics())
    }

    func statsDocument() -> [UInt8] { statistics().encoded() }
}
