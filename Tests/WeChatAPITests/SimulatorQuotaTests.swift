import Testing
import WeChatAPI
@testable import WeChatSimulator

/// The simulator's daily quotas on its state actor, with a manual clock: per API, per China day (00:00 UTC+8).
@Suite struct SimulatorQuotaTests {
    @Test func eachAPIHasItsOwnCountWhichResetsAtMidnightChinaTime() async throws {
        let clock = ManualClock(now: QuotaDayTests.chinaMidnight - 2)     // 2026-11-28 23:59:58 in China
        var configuration = SimulatorConfiguration()
        configuration.dailyLimit = 2
        let state = SimulatorState(configuration: configuration, items: [], now: { clock.now() })
        #expect(await state.spendDailyQuota(.mediaGet))
        #expect(await state.spendDailyQuota(.mediaGet))
        #expect(await !state.spendDailyQuota(.mediaGet), "45009 past the limit")
        #expect(await state.spendDailyQuota(.upload), "another API, another count")
        for _ in 0..<3 { #expect(await state.spendDailyQuota(.cdn), "the CDN has no quota") }
        #expect(await quota(state, .mediaGet) == [2, 2])
        #expect(await state.dailyUsed() == [.mediaGet: 2, .upload: 1])
        #expect(await quota(state, .stableToken) == [2000, 0])
        clock.advance(by: 1)                                               // 23:59:59: the same day
        #expect(await !state.spendDailyQuota(.mediaGet))
        clock.advance(by: 1)                                               // 00:00 UTC+8 (16:00 UTC)
        #expect(await state.dailyUsed().isEmpty)
        #expect(await state.spendDailyQuota(.mediaGet))
        #expect(await quota(state, .mediaGet) == [2, 1])
        await state.set(dailyLimit: 1)
        #expect(await !state.spendDailyQuota(.mediaGet), "a lower limit applies at once")
    }

    /// [daily_limit, used], as openapi/quota/get would answer.
    func quota(_ state: SimulatorState, _ endpoint: SimEndpoint) async -> [Int] {
        let answer = await state.dailyQuota(of: endpoint)
        return [answer.limit, answer.used]
    }
}
