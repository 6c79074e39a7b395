import Foundation
import MediaCache
import Testing
import WeChatAPI
@testable import MediaFS

/// Issue 18, point 7: made-up ids cannot spend the account's quota, and pushed ids WeChat says are invalid leave
/// `media/`'s listing instead of costing a call at every `ls -l`.
@Suite struct UnknownIDGuardTests {
    static let real = FakeDownloader.Item(bytes: pattern(500), contentType: "image/jpeg")

    @Test func invalidIdsAreRationedThenRefusedWithoutACall() async throws {
        let fixture = try FSFixture(["Real_1": Self.real, "Real_2": Self.real],
                                    unknownIDs: UnknownIDGuard.Limits(burst: 5, perSecond: 1, perDay: 100))
        for index in 0..<5 {
            #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_\(index)") } == .noEntry)
        }
        #expect(fixture.fake.calls == 5)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_5") } == .quota)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Real_2") } == .quota, "unknown to this mount")
        #expect(fixture.fake.calls == 5, "refused without asking WeChat")
        fixture.clock.advance(by: 2)  // two tokens back
        #expect(try await fixture.fs.lookup(parent: Inode.media, name: "Real_1").size == 500)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_6") } == .noEntry)
        #expect(fixture.fake.calls == 7)
    }

    /// Room is reserved before the call: parallel lookups cannot all pass on the same token.
    @Test func parallelLookupsOfMadeUpIdsStayWithinTheBurst() async throws {
        let fixture = try FSFixture([:], delay: 50_000_000, unknownIDs: UnknownIDGuard.Limits(burst: 5, perSecond: 0.001, perDay: 100))
        let answers = await withTaskGroup(of: Errno?.self) { group in
            for index in 0..<20 {
                group.addTask { await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Parallel_\(index)") } }
            }
            return await group.reduce(into: [Errno?]()) { $0.append($1) }
        }
        #expect(fixture.fake.calls == 5, "\(fixture.fake.calls) calls for a burst of 5")
        #expect(answers.filter { $0 == .quota }.count == 15 && answers.filter { $0 == .noEntry }.count == 5)
    }

    @Test func knownIdsAreNeverHeldBack() async throws {
        let fixture = try FSFixture(["Real_1": Self.real], unknownIDs: UnknownIDGuard.Limits(burst: 1, perSecond: 0.001, perDay: 100))
        #expect(try await fixture.readAll("Real_1") == Self.real.bytes)  // cached now
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_1") } == .noEntry)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_2") } == .quota)
        #expect(try await fixture.readAll("Real_1") == Self.real.bytes, "a cached id still reads")
    }

    @Test func theDailyGuardHoldsUntilChinaMidnight() async throws {
        let fixture = try FSFixture([:], unknownIDs: UnknownIDGuard.Limits(burst: 100, perSecond: 100, perDay: 3))
        for index in 0..<3 {
            #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_\(index)") } == .noEntry)
        }
        fixture.clock.advance(by: 60)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_9") } == .quota)
        let now = fixture.clock.now()
        fixture.clock.advance(by: QuotaDay(containing: now).next.start - now + 1)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Made_up_9") } == .noEntry)
        #expect(fixture.fake.calls == 4)
    }

    @Test func aPushedIdWeChatRefusedLeavesTheListing() async throws {
        let fixture = try FSFixture(["Real_1": Self.real])
        let now = Int64(fixture.clock.now())
        let pushed = ["Real_1", "Bogus_1"].enumerated().map { index, id in
            FollowerMessage(msgType: "image", mediaID: MediaID(id)!, fromUser: "oSender", toUser: nil, createTime: now - 10,
                            msgID: "\(index + 1)", format: nil, recognition: nil, picURL: nil, thumbMediaID: nil)
        }
        #expect(try fixture.fs.record(pushed) == 2)
        let before = try await fixture.fs.readdir(Inode.media).map(\.name)
        #expect(before.contains("Bogus_1.jpg") && before.contains("Real_1.jpg"))
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Bogus_1.jpg") } == .noEntry)
        let calls = fixture.fake.calls
        fixture.clock.advance(by: 3_600)  // past the negative cache's window
        let after = try await fixture.fs.readdir(Inode.media).map(\.name)
        #expect(!after.contains("Bogus_1.jpg") && after.contains("Real_1.jpg"))
        #expect(fixture.fake.calls == calls)
    }
}
