import Foundation
import MediaCache
import Testing
import WeChatAPI
@testable import MediaFS
import Scratch

/// `<cache-dir>/quota.json`: written on sync, continued by a restart on the same China day, zero on the next one,
/// added to (never overwritten) by another process on the same directory. A manual clock moves the days; the
/// file is read back with JSONSerialization, not with the code under test.
@Suite struct QuotaStoreTests {
    static let chinaMidnight = 1_795_881_600.0   // 2026-11-29 00:00 UTC+8 (`date -u -d 2026-11-28T16:00:00Z +%s`)

    let directory = Scratch.path("quota-test")
    let clock = ManualClock(now: QuotaStoreTests.chinaMidnight + 10 * 3600)

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A process starting on the directory: its ledger, its store, the file read.
    func start(limit: Int? = nil) async -> QuotaStore {
        let store = QuotaStore(directory: directory, ledger: QuotaLedger(limit: limit, clock: clock, logger: silent), logger: silent)
        await store.load()
        return store
    }

    struct Stored: Equatable {
        var day: String
        var calls: [String: Int]
        init(_ day: String, _ calls: [String: Int]) {
            self.day = day
            self.calls = calls
        }
    }

    /// What the file says.
    func file() throws -> Stored {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/quota.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        return Stored(try #require(object["day"] as? String), try #require(object["calls"] as? [String: Int]))
    }

    @Test func writeThenRestartTheSameDayContinuesAndTheNextDayStartsFromZero() async throws {
        let first = await start(limit: 3)
        try first.ledger.admit("media/get")
        try first.ledger.admit("media/get")
        #expect(!FileManager.default.fileExists(atPath: directory + "/quota.json"), "nothing written before a sync")
        await first.sync()
        #expect(try file() == Stored("2026-11-29", ["media/get": 2]))
        try first.ledger.admit("media/get/jssdk")
        await first.sync()
        #expect(try file() == Stored("2026-11-29", ["media/get": 2, "media/get/jssdk": 1]))
        await first.sync()                                   // nothing new: the file is left as it is
        #expect(try file() == Stored("2026-11-29", ["media/get": 2, "media/get/jssdk": 1]))

        clock.advance(by: 3600)                              // a restart, later the same China day
        let again = await start(limit: 3)
        #expect(again.ledger.snapshot().calls == ["media/get": 2, "media/get/jssdk": 1])
        #expect(throws: DailyLimitReached.self) { try again.ledger.admit("media/get") }

        clock.advance(by: 13 * 3600)                         // 2026-11-30 00:00 China time
        let tomorrow = await start(limit: 3)
        #expect(tomorrow.ledger.snapshot() == QuotaRecord(day: QuotaDay("2026-11-30")!))
        try tomorrow.ledger.admit("media/get")
        await tomorrow.sync()
        #expect(try file() == Stored("2026-11-30", ["media/get": 1]))
    }

    @Test func twoProcessesOnOneDirectoryAddTheirCalls() async throws {
        let mount = await start(limit: 10)
        let guest = await start()
        for _ in 0..<3 { try mount.ledger.admit("media/get") }
        await mount.sync()
        try guest.ledger.admit("media/get")
        try guest.ledger.admit("media/get/jssdk")
        await guest.sync()
        #expect(try file() == Stored("2026-11-29", ["media/get": 4, "media/get/jssdk": 1]))
        #expect(mount.ledger.snapshot().total == 3, "the guest's calls arrive at the mount's next sync")
        await mount.sync()
        #expect(mount.ledger.snapshot().calls == ["media/get": 4, "media/get/jssdk": 1])

        // Many syncing at once lose nothing (the lock serialises the read-modify-writes).
        let stores = await withTaskGroup(of: QuotaStore.self) { group in
            for _ in 0..<8 { group.addTask { await start() } }
            return await group.reduce(into: [QuotaStore]()) { $0.append($1) }
        }
        for store in stores { for _ in 0..<5 { try store.ledger.admit("media/get") } }
        await withTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { await store.sync() } }
        }
        #expect(try file() == Stored("2026-11-29", ["media/get": 44, "media/get/jssdk": 1]))
    }

    @Test func aDamagedFileCountsAsZeroAndIsReplaced() async throws {
        try Data("{\"version\":1,\"day\":".utf8).write(to: URL(fileURLWithPath: directory + "/quota.json"))
        try Data().write(to: URL(fileURLWithPath: directory + "/quota.json.tmp-999999999-1"))   // a dead writer's
        let store = await start()
        #expect(store.ledger.snapshot().total == 0)
        #expect(!FileManager.default.fileExists(atPath: directory + "/quota.json.tmp-999999999-1"))
        try store.ledger.admit("media/get")
        await store.sync()
        #expect(try file() == Stored("2026-11-29", ["media/get": 1]))
    }

    @Test func theStatsDocumentShowsTodaysCallsAndTheLimit() async throws {
        let store = await start(limit: 7)
        try store.ledger.admit("media/get")
        let cache = try DiskDataCache(directory: directory, budget: 1 << 20, blockSize: 4096, logger: silent)
        let fs = MediaFileSystem(downloader: FakeDownloader(items: [:]), cache: cache, directory: directory, clock: clock, logger: silent, quota: store)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(fs.statsDocument())) as? [String: Any])
        let quota = try #require(document["quota"] as? [String: Any])
        #expect(quota["day"] as? String == "2026-11-29")
        #expect(quota["calls"] as? [String: Int] == ["media/get": 1])
        #expect(quota["limitPerDay"] as? Int == 7)
        await fs.drain()
        #expect(try file() == Stored("2026-11-29", ["media/get": 1]), "drain writes the count")

        let unlimited = MediaFileSystem(downloader: FakeDownloader(items: [:]), cache: cache, directory: directory, clock: clock, logger: silent,
                                        quota: await start())
        let text = String(decoding: unlimited.statsDocument(), as: UTF8.self)
        #expect(text.contains("\"limitPerDay\" : null"), "\(text)")
    }

    @Test func ourOwnLimitIsEDQUOTAndAlreadyLogged() {
        let error = FSError(DailyLimitReached(limit: 3, calls: 3, day: QuotaDay(containing: Self.chinaMidnight)))
        #expect(error.errno == .quota && error.errno.rawValue == 122)
        #expect(error.logged)
    }
}
