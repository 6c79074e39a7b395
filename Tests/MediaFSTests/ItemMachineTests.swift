import MediaCache
import Testing
import WeChatAPI
@testable import MediaFS

/// `ItemMachine` driven with plain values: no actor, no I/O, no clock. Each test is an interleaving the chaos
/// suite or a review found; the expected actions follow from the rules written in ItemMachine.swift.
@Suite struct ItemMachineTests {
    static let key = CacheKey(kind: .media, id: "Item_1")
    static let block = 4096

    static func machine(known: CachedItem? = nil, window: Int64 = 4096, maxStores: Int = 4) -> ItemMachine {
        var settings = ItemMachine.Settings(key: key, blockSize: block, window: window, windowMax: window * 8, videoProbeLength: 4096, memoryBlocks: 16)
        settings.maxPendingStores = maxStores
        return ItemMachine(settings, known: known)
    }

    static func video(size: Int64 = 40 * 4096, url: String = "http://cdn/v1") -> CachedItem {
        CachedItem(size: size, contentType: "video/mp4", filename: nil, fileExtension: "mp4", rangeSupported: true, videoURL: url,
                   fetchedAt: 100, blockSize: block)
    }

    static func head(size: Int64?, url: String? = nil, range: Bool = false) -> MediaHead {
        MediaHead(totalSize: size, contentType: "image/jpeg", filename: nil, fileExtension: "jpg", rangeSupported: range, videoURL: url)
    }

    static let none: @Sendable (Int) -> Bool = { _ in false }

    // Readings of the actions, for the expectations.
    static func plans(_ actions: [ItemAction]) -> [TransferPlan] { actions.compactMap { if case .startTransfer(let plan) = $0 { plan } else { nil } } }
    static func heads(_ actions: [ItemAction]) -> [Int] { actions.compactMap { if case .resumeHead(let id, .success) = $0 { id } else { nil } } }
    static func blocks(_ actions: [ItemAction]) -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: actions.compactMap { if case .resumeBlock(let id, .success(let bytes)) = $0 { (id, bytes.count) } else { nil } })
    }
    static func failed(_ actions: [ItemAction]) -> [Int: Errno] {
        Dictionary(uniqueKeysWithValues: actions.compactMap { action -> (Int, Errno)? in
            switch action {
            case .resumeBlock(let id, .failure(let error)), .resumeHead(let id, .failure(let error)): (id, error.errno)
            case .resumeURL(let id, .failure(let error)): (id, error.errno)
            default: nil
            }
        })
    }
    static func stores(_ actions: [ItemAction]) -> [Int] { actions.compactMap { if case .storeBlock(let block, _) = $0 { block } else { nil } } }
    static func metas(_ actions: [ItemAction]) -> [CachedItem] { actions.compactMap { if case .storeMeta(let item) = $0 { item } else { nil } } }
    static func cancelled(_ actions: [ItemAction]) -> [Int] { actions.compactMap { if case .cancelTransfer(let id) = $0 { id } else { nil } } }
    static func urls(_ actions: [ItemAction]) -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: actions.compactMap { if case .resumeURL(let id, .success(let got)) = $0 { (id, got.generation) } else { nil } })
    }
    static func drains(_ actions: [ItemAction]) -> [Int] { actions.compactMap { if case .resumeDrain(let id) = $0 { id } else { nil } } }
    static func checked(_ count: Int) -> CheckedBlock { CheckedBlock([UInt8](repeating: 7, count: count)) }

    @Test func coldLookupsAndReadersShareOneTransfer() {
        var machine = Self.machine()
        let first = Self.plans(machine.headWanted(1))
        #expect(first.count == 1 && first[0].range == nil && first[0].firstBlock == 0, "the first lookup starts the item's one transfer")
        #expect(Self.plans(machine.headWanted(2)).isEmpty, "a second lookup waits for the same one")
        let (accepted, arrived) = machine.headArrived(Self.head(size: 10_000), transfer: 1, probeEnd: 1, now: 500, created: 400)
        #expect(accepted && Set(Self.heads(arrived)) == [1, 2])
        #expect(Self.metas(arrived).map(\.createdAt) == [400], "the meta is written once, with the creation time known from messages")
        #expect(machine.transfers[1]?.end == Int.max, "not a video probe: the whole item")
        #expect(Self.plans(machine.blockWanted(3, block: 0, need: 100, present: Self.none)).isEmpty)
        #expect(Self.plans(machine.blockWanted(4, block: 2, need: 4096, present: Self.none)).isEmpty, "block 2 is claimed by the same stream")
        let (wait, committed) = machine.blockCommitted(0, data: Self.checked(4096), transfer: 1, stream: 10, cached: false)
        #expect(!wait && Self.blocks(committed) == [3: 4096] && Self.stores(committed) == [0])
        #expect(!machine.isIdle && !machine.isDrained)
    }

    @Test func anAnswerOfAnotherSizeIsRefused() {
        var machine = Self.machine(known: Self.video())
        let (accepted, actions) = machine.headArrived(Self.head(size: 5, url: "http://cdn/v1", range: true), transfer: 1, probeEnd: nil, now: 1, created: nil)
        #expect(!accepted && Self.metas(actions).isEmpty)
        #expect(machine.info == Self.video())
    }

    @Test func aHeadWithoutSizeIsKnownWhenItsStreamEnds() {
        var machine = Self.machine()
        _ = machine.headWanted(1)
        let (accepted, arrived) = machine.headArrived(Self.head(size: nil), transfer: 1, probeEnd: 1, now: 9, created: nil)
        #expect(accepted && Self.heads(arrived).isEmpty && machine.info == nil)
        _ = machine.blockCommitted(0, data: Self.checked(100), transfer: 1, stream: 5, cached: false)
        let ended = machine.streamEnded(1, total: 100, firstBlock: 0, now: 9, created: nil, present: Self.none)
        #expect(Self.heads(ended) == [1] && machine.info?.size == 100)
    }

    @Test func windowsDoubleWhileSequentialAndStartOverOnAJump() {
        var window = ReadWindow(initial: 4096, maximum: 4 * 4096, blockSize: 4096)
        #expect(window.plan(from: 0, blockCount: 100, present: Self.none) == 0..<2, "block 0 is expected first: sequential, doubled")
        #expect(window.plan(from: 2, blockCount: 100, present: Self.none) == 2..<6)
        #expect(window.plan(from: 6, blockCount: 100, present: Self.none) == 6..<10, "capped at the maximum")
        #expect(window.plan(from: 50, blockCount: 100, present: Self.none) == 50..<51, "a jump: back to one block")
        #expect(window.plan(from: 51, blockCount: 100, present: { $0 == 52 }) == 51..<52, "stops before a present block")
        #expect(window.readAhead(after: 51, blockCount: 100, present: Self.none) == 52)
    }

    @Test func aCDNTransferNobodyWaitsForStopsAndAMediaGetStreamGoesOn() {
        var machine = Self.machine(known: Self.video())
        let plan = Self.plans(machine.blockWanted(1, block: 5, need: 10, present: Self.none))
        #expect(plan.count == 1 && plan[0].videoURL == "http://cdn/v1" && plan[0].range?.offset == 5 * 4096)
        let gaveUp = machine.blockAbandoned(1, block: 5, present: Self.none)
        #expect(Self.cancelled(gaveUp) == [plan[0].id] && machine.transfers.isEmpty)

        var image = Self.machine(known: CachedItem(size: 8192, contentType: nil, filename: nil, fileExtension: "jpg", rangeSupported: false,
                                                   videoURL: nil, fetchedAt: 1, blockSize: 4096))
        #expect(Self.plans(image.blockWanted(1, block: 1, need: 10, present: { $0 == 0 })).first?.range?.offset == 4096,
                "one stream from the first block not cached")
        #expect(Self.cancelled(image.blockAbandoned(1, block: 1, present: Self.none)).isEmpty, "media/get: the one call goes on")
    }

    @Test func transfersFindingTheSameURLExpiredShareOneRefresh() {
        var machine = Self.machine(known: Self.video())
        #expect(machine.urlExpired(1, generation: 0).contains { if case .refreshURL = $0 { true } else { false } })
        #expect(machine.urlExpired(2, generation: 0).isEmpty, "joins the refresh under way")
        let refreshed = machine.urlRefreshed("http://cdn/v2", now: 50)
        #expect(Self.urls(refreshed) == [1: 1, 2: 1])
        #expect(Self.metas(refreshed).map(\.videoURL) == ["http://cdn/v2"])
        #expect(Self.urls(machine.urlExpired(3, generation: 0)) == [3: 1], "a URL newer than the one found expired: no call")
        #expect(machine.urlExpired(4, generation: 1).contains { if case .refreshURL = $0 { true } else { false } },
                "the URL just obtained expired too: asked again, not handed back")
        let plan = Self.plans(machine.blockWanted(9, block: 3, need: 1, present: Self.none))
        #expect(plan.first?.generation == 1 && plan.first?.videoURL == "http://cdn/v2" && plan.first?.videoURLFreshSince == 50)
        _ = machine.blockCommitted(3, data: Self.checked(4096), transfer: plan[0].id, stream: 1, cached: false)
        #expect(machine.url.freshSince == nil, "a URL that served bytes is not 'not ready yet' any more")
    }

    @Test func anItemTheServerNoLongerHasFailsUncachedReadsWithoutACall() {
        var machine = Self.machine(known: Self.video())
        _ = machine.urlExpired(1, generation: 0)
        let failed = machine.urlRefreshFailed(FSError(.noEntry, "40007"), now: 77)
        #expect(Self.failed(failed) == [1: .io])
        #expect(Self.metas(failed).map(\.goneAt) == [77], "recorded, so a remount knows it too")
        let later = machine.blockWanted(2, block: 9, need: 1, present: Self.none)
        #expect(Self.plans(later).isEmpty && Self.failed(later) == [2: .io])
        #expect(Self.machine(known: machine.info).gone != nil, "a new machine from the stored meta starts gone")
    }

    @Test func aGoneItemReadsNothingAheadAndItsWaitersGetWhy() {
        var machine = Self.machine(known: Self.video())
        let plan = Self.plans(machine.blockWanted(1, block: 0, need: 1, present: Self.none))[0]
        #expect(plan.end == 2, "a sequential start: a doubled window")
        _ = machine.blockCommitted(0, data: Self.checked(4096), transfer: plan.id, stream: 2, cached: false)
        _ = machine.blockCommitted(1, data: Self.checked(4096), transfer: plan.id, stream: 3, cached: false)
        _ = machine.streamEnded(plan.id, total: 2 * 4096, firstBlock: 0, now: 1, created: nil, present: Self.none)
        var alive = machine
        #expect(Self.plans(alive.blockRead(1, present: { $0 < 2 })).count == 1, "alive: the next window is read ahead")
        _ = machine.urlExpired(5, generation: 0)
        _ = machine.urlRefreshFailed(FSError(.noEntry, "40007"), now: 2)
        #expect(Self.plans(machine.blockRead(1, present: { $0 < 2 })).isEmpty,
                "gone: nothing read ahead (each transfer would try the dead URL once more: the chaos suite's ASan run saw 3 CDN calls)")
    }


    @Test func diskWritesAreBoundedAndTheStreamWaitsForASlot() {
        var machine = Self.machine(known: Self.video(), maxStores: 2)
        let plan = Self.plans(machine.blockWanted(1, block: 0, need: 1, present: Self.none))[0]
        var waits: [Bool] = []
        for block in 0..<3 {
            let (wait, actions) = machine.blockCommitted(block, data: Self.checked(4096), transfer: plan.id, stream: 100 + block, cached: false)
            waits.append(wait)
            #expect(Self.stores(actions) == (wait ? [] : [block]))
        }
        #expect(waits == [false, false, true])
        #expect(machine.landed(2) != nil, "a queued block is served from memory meanwhile")
        let freed = machine.blockStored(0, stored: true)
        #expect(Self.stores(freed) == [2] && freed.contains { if case .resumeStream(102) = $0 { true } else { false } })
        #expect(machine.landed(0) == nil, "on disk now: memory let go")
        _ = machine.blockStored(1, stored: false)
        #expect(machine.landed(1) != nil, "refused by the disk: kept in memory (bounded)")
    }

    @Test func aPartlyServedBlockIsFetchedAgainOnceAndDrainWaitsForIt() {
        var machine = Self.machine(known: Self.video())
        let plan = Self.plans(machine.blockWanted(1, block: 0, need: 100, present: Self.none))[0]
        #expect(Self.blocks(machine.partialArrived(0, [UInt8](repeating: 1, count: 200))) == [1: 200])
        #expect(!machine.isDrained)
        #expect(machine.drainWanted(7).isEmpty)
        let failed = machine.transferFailed(plan.id, error: FSError(.io, "reset"), now: 1, present: Self.none)
        let refetch = Self.plans(failed)
        #expect(refetch.count == 1 && refetch[0].firstBlock == 0, "fetched whole once more so that what was read is cached")
        #expect(Self.drains(failed).isEmpty, "still owed to drain")
        let failedAgain = machine.transferFailed(refetch[0].id, error: FSError(.io, "reset"), now: 1, present: Self.none)
        #expect(Self.plans(failedAgain).isEmpty, "once only: a failing upstream cannot loop")
        #expect(Self.drains(failedAgain) == [7])
    }

    @Test func aDrainWaitingForAPartlyServedBlockWaitsForItsDiskWrite() {
        var machine = Self.machine(known: Self.video())
        let plan = Self.plans(machine.blockWanted(1, block: 0, need: 100, present: Self.none))[0]
        _ = machine.partialArrived(0, [UInt8](repeating: 1, count: 200))
        #expect(machine.drainWanted(7).isEmpty)
        let committed = machine.blockCommitted(0, data: Self.checked(4096), transfer: plan.id, stream: 1, cached: false)
        #expect(Self.stores(committed.actions) == [0] && Self.drains(committed.actions).isEmpty,
                "the block is whole but not on disk yet: a `get` that exits now would lose it")
        #expect(Self.drains(machine.blockStored(0, stored: true)) == [7])
    }

    @Test func idleOnlyOnceEveryWriteHasEnded() {
        var machine = Self.machine()
        _ = machine.headWanted(1)
        let (_, arrived) = machine.headArrived(Self.head(size: 100), transfer: 1, probeEnd: 1, now: 1, created: nil)
        _ = machine.blockCommitted(0, data: Self.checked(100), transfer: 1, stream: 2, cached: false)
        _ = machine.streamEnded(1, total: 100, firstBlock: 0, now: 1, created: nil, present: Self.none)
        #expect(Self.metas(arrived).count == 1 && !machine.isIdle, "its meta and block are still being written")
        _ = machine.metaStored()
        #expect(!machine.isIdle)
        _ = machine.blockStored(0, stored: true)
        #expect(machine.isIdle && machine.isDrained)
    }

    @Test func aLookupThatGivesUpStopsAVideoStreamWithoutLength() {
        var machine = Self.machine()
        _ = machine.headWanted(1)
        _ = machine.headArrived(Self.head(size: nil, url: "http://cdn/v1"), transfer: 1, probeEnd: 1, now: 1, created: nil)
        let gaveUp = machine.headAbandoned(1)
        #expect(Self.cancelled(gaveUp) == [1] && machine.pendingHead == nil && machine.transfers.isEmpty)
        #expect(Self.plans(machine.headWanted(2)).count == 1, "the next lookup starts it again")
    }

    @Test func aVideoProbeClaimsOnlyItsBlocksAndTheWindowGoesOnFromThere() {
        var machine = Self.machine()
        _ = machine.headWanted(1)
        _ = machine.headArrived(Self.head(size: 40 * 4096, url: "http://cdn/v1", range: true), transfer: 1, probeEnd: 1, now: 1, created: nil)
        #expect(machine.transfers[1]?.end == 1 && machine.window.expectedNext == 1)
        let next = Self.plans(machine.blockWanted(2, block: 1, need: 1, present: Self.none))
        #expect(next.first?.firstBlock == 1 && next.first?.range?.length == 2 * 4096, "sequential after the probe: a doubled window")
    }
}
