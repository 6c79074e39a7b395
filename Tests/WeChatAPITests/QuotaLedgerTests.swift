import Foundation
import Testing
import WeChatHTTP
import WeChatSimulator

/// The quota day (00:00 China time, UTC+8) and the ledger that counts calls on it and keeps to a limit. The epoch
/// seconds below come from `date -u -d 2026-11-28T16:00:00Z +%s` and the like, not from the code under test.
@Suite struct QuotaDayTests {
    static let chinaMidnight = 1_795_881_600.0       // 2026-11-29 00:00 UTC+8 = 2026-11-28 16:00 UTC
    static let utcMidnight = 1_795_910_400.0          // 2026-11-29 00:00 UTC = 08:00 in China

    @Test func theDayTurnsAtMidnightChinaTimeNotUTC() {
        #expect(QuotaDay(containing: Self.chinaMidnight - 1).description == "2026-11-28")
        #expect(QuotaDay(containing: Self.chinaMidnight - 0.001).description == "2026-11-28")
        #expect(QuotaDay(containing: Self.chinaMidnight).description == "2026-11-29")
        #expect(QuotaDay(containing: Self.utcMidnight).description == "2026-11-29")
        #expect(QuotaDay(containing: Self.chinaMidnight + 86_399).description == "2026-11-29")
        #expect(QuotaDay(containing: Self.chinaMidnight + 86_400).description == "2026-11-30")
        #expect(QuotaDay(containing: 1_798_732_800).description == "2027-01-01")   // 2026-12-31T16:00:00Z
        #expect(QuotaDay(containing: 1_835_366_400).description == "2028-02-29")   // a leap day
        #expect(QuotaDay(containing: -28_801).description == "1969-12-31")          // before 1970 in China too
        #expect(QuotaDay(containing: 0).description == "1970-01-01")
    }

    @Test func aDayKnowsWhenItStartsAndParsesItsOwnText() throws {
        let day = try #require(QuotaDay("2026-11-29"))
        #expect(day.start == Self.chinaMidnight)
        #expect(day.next.description == "2026-11-30" && day.next.start == Self.chinaMidnight + 86_400)
        #expect(day == QuotaDay(containing: Self.chinaMidnight + 3600))
        #expect(QuotaDay("2028-02-29") != nil)
        for bad in ["2026-02-30", "2027-02-29", "2026-13-01", "2026-11-9", "26-11-29", "2026/11/29", "", "2026-11-29x"] {
            #expect(QuotaDay(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct QuotaLedgerTests {
    let clock = ManualClock(now: QuotaDayTests.chinaMidnight + 3600)

    @Test func callsCountPerAPIAndTheLimitRefusesWithoutCounting() throws {
        let ledger = QuotaLedger(limit: 3, clock: clock, logger: quietLogger())
        try ledger.admit("media/get")
        try ledger.admit("media/get/jssdk")
        try ledger.admit("cdn")                     // not a WeChat API: never counted, never refused
        try ledger.check()
        try ledger.admit("media/get")
        #expect(throws: DailyLimitReached(limit: 3, calls: 3, day: QuotaDay("2026-11-29")!)) { try ledger.admit("media/get") }
        #expect(throws: DailyLimitReached.self) { try ledger.check() }
        try ledger.admit("cdn")
        #expect(ledger.snapshot() == QuotaRecord(day: QuotaDay("2026-11-29")!, calls: ["media/get": 2, "media/get/jssdk": 1]))
        #expect(ledger.status() == QuotaStatus(day: "2026-11-29", calls: ["media/get": 2, "media/get/jssdk": 1], limitPerDay: 3))
    }

    @Test func theNextChinaDayStartsFromZero() throws {
        let ledger = QuotaLedger(limit: 1, clock: clock, logger: quietLogger())
        try ledger.admit("media/get")
        #expect(throws: DailyLimitReached.self) { try ledger.admit("media/get") }
        clock.advance(by: 86_400 - 3600 - 1)          // 23:59:59 China time: still the same day
        #expect(throws: DailyLimitReached.self) { try ledger.check() }
        clock.advance(by: 1)                          // 00:00 UTC+8
        try ledger.admit("media/get")
        #expect(ledger.snapshot() == QuotaRecord(day: QuotaDay("2026-11-30")!, calls: ["media/get": 1]))
        #expect(ledger.takePending() == QuotaRecord(day: QuotaDay("2026-11-30")!, calls: ["media/get": 1]),
                "yesterday's unwritten calls are not carried into today")
    }

    @Test func zeroOrNoLimitOnlyCounts() throws {
        for ledger in [QuotaLedger(limit: 0, clock: clock, logger: quietLogger()), QuotaLedger(clock: clock, logger: quietLogger())] {
            for _ in 0..<50 { try ledger.admit("media/get") }
            #expect(ledger.limit == nil && ledger.snapshot().total == 50 && ledger.status().limitPerDay == nil)
        }
    }

    @Test func pendingCallsAreHandedOutOnceAndTheFileTotalsAdopted() throws {
        let ledger = QuotaLedger(clock: clock, logger: quietLogger())
        let day = QuotaDay("2026-11-29")!
        ledger.adopt(QuotaRecord(day: day, calls: ["media/get": 10]))     // what the file said at start
        try ledger.admit("media/get")
        try ledger.admit("media/upload")
        let pending = try #require(ledger.takePending())
        #expect(pending == QuotaRecord(day: day, calls: ["media/get": 1, "media/upload": 1]))
        #expect(ledger.takePending() == nil)
        try ledger.admit("media/get")                                      // made while the file is written
        // The file now holds 10 + ours + 5 a guest added.
        ledger.adopt(QuotaRecord(day: day, calls: ["media/get": 16, "media/upload": 1]))
        #expect(ledger.snapshot().calls == ["media/get": 17, "media/upload": 1])
        ledger.restore(pending: QuotaRecord(day: day, calls: ["media/get": 2]))   // a failed write gives them back
        #expect(ledger.takePending() == QuotaRecord(day: day, calls: ["media/get": 3]))
        ledger.adopt(QuotaRecord(day: day.next, calls: ["media/get": 99]))        // another day's file: ignored
        #expect(ledger.snapshot().calls == ["media/get": 17, "media/upload": 1])
    }

    @Test func theFileFormatAndHowADeltaIsAdded() throws {
        let day = QuotaDay("2026-11-29")!
        let record = QuotaRecord(day: day, calls: ["media/get": 3, "media/get/jssdk": 1])
        #expect(String(decoding: record.json, as: UTF8.self) == #"{"calls":{"media/get":3,"media/get/jssdk":1},"day":"2026-11-29","version":1}"# + "\n")
        #expect(QuotaRecord(json: record.json) == record)
        for bad in [#"{"calls":{},"day":"2026-11-29","version":2}"#, #"{"calls":{"a":-1},"day":"2026-11-29","version":1}"#,
                    #"{"calls":{},"day":"yesterday","version":1}"#, "not json", ""] {
            #expect(QuotaRecord(json: Array(bad.utf8)) == nil, "\(bad)")
        }
        let delta = QuotaRecord(day: day, calls: ["media/get": 2])
        #expect(QuotaRecord.adding(delta, to: nil) == delta)
        #expect(QuotaRecord.adding(delta, to: record) == QuotaRecord(day: day, calls: ["media/get": 5, "media/get/jssdk": 1]))
        let yesterday = QuotaRecord(day: QuotaDay("2026-11-28")!, calls: ["media/get": 500])
        #expect(QuotaRecord.adding(delta, to: yesterday) == delta, "a new day starts from zero")
        let tomorrow = QuotaRecord(day: day.next, calls: ["media/get": 1])
        #expect(QuotaRecord.adding(delta, to: tomorrow) == tomorrow, "calls of a day that is over are dropped")
    }
}

/// The client keeps to the ledger's limit: a refused download sends nothing, not even a token request.
@Suite struct ClientDailyLimitTests {
    @Test func aSpentDayRefusesBeforeAnyRequest() async throws {
        let clock = ManualClock(now: QuotaDayTests.chinaMidnight + 3600)
        let fixture = try await SimFixture.start(clock: clock)
        defer { Task { await fixture.sim.stop() } }
        let ledger = QuotaLedger(limit: 2, clock: clock, logger: quietLogger())
        let client = MediaClient(apiBase: fixture.sim.baseURL, tokens: fixture.provider, clock: clock, quota: ledger, logger: quietLogger())
        let image = fixture.item(.image), voice = fixture.item(.voice)
        _ = try await client.download(MediaRequest(id: MediaID(image.id)!), into: MemorySink())
        _ = try await client.download(MediaRequest(id: MediaID(voice.id)!), into: MemorySink())
        let before = await fixture.sim.state.counters().mapValues(\.requests)
        await #expect(throws: DailyLimitReached.self) {
            _ = try await client.download(MediaRequest(id: MediaID(fixture.item(.thumb).id)!), into: MemorySink())
        }
        await #expect(throws: DailyLimitReached.self) {
            _ = try await client.download(MediaRequest(id: MediaID(fixture.item(.hd).id)!, hd: true), into: MemorySink())
        }
        #expect(await fixture.sim.state.counters().mapValues(\.requests) == before, "no request of any kind")
        #expect(client.counters.snapshot().errors.isEmpty, "a refusal is not an upstream error")
        #expect(ledger.snapshot().calls == ["media/get": 2])
    }

    @Test func theSimulatorAnswers45009PastItsDailyLimitAndQuotaGetCountsWhatItServed() async throws {
        let fixture = try await SimFixture.start { $0.dailyLimit = 2 }
        defer { Task { await fixture.sim.stop() } }
        _ = try await fixture.download(.image)
        _ = try await fixture.download(.voice)
        do {
            _ = try await fixture.download(.thumb)
            Issue.record("a third media/get within the day's limit of 2")
        } catch let error as WeChatError {
            #expect(error.errcode == 45009 && error.category == .dailyQuota)
        }
        let served = await fixture.sim.state.dailyUsed()
        #expect(served[.mediaGet] == 2, "the refused call is not counted")
        let quota = try await fixture.client.apiQuota(cgiPath: "/cgi-bin/media/get")
        #expect(quota == APIQuota(dailyLimit: 2, used: 2, remain: 0))
        #expect(try await fixture.client.apiQuota(cgiPath: "/cgi-bin/media/upload") == APIQuota(dailyLimit: 2, used: 0, remain: 2))
        for (path, code) in [("/cgi-bin/message/custom/send", 76021), ("cgi-bin/media/get", 76003), ("https://api.weixin.qq.com/cgi-bin/media/get", 76003)] {
            do {
                _ = try await fixture.client.apiQuota(cgiPath: path)
                Issue.record("\(path) answered a quota")
            } catch let error as WeChatError {
                #expect(error.errcode == code, "\(path)")
            }
        }
    }
}
