import NIOCore
import Testing
import WeChatAPI
import WeChatSimulator

/// The simulator's chaos kinds (scripts/chaos injects them at a rate): every hostile answer is an error for the
/// client, never bytes other than the item's; a fault rate is drawn from its seed.
@Suite struct ChaosFaultTests {
    @Test(arguments: [SimFault.hugeErrmsg, .longLength, .shortLength, .rangeMismatch, .otherRange, .redirectLoop, .badVideoURL])
    func hostileAnswersAreErrorsNeverWrongBytes(_ fault: SimFault) async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        for (kind, endpoint) in [(MediaKind.image, SimEndpoint.mediaGet), (.video, .cdn)] {
            let truth = try #require(await fixture.sim.bytes(of: fixture.item(kind).id, kind: kind))
            // Without the fault the same download succeeds with the item's bytes: the check below is not vacuous.
            let clean = try await fixture.download(kind).1
            #expect(Self.digest(clean) == Self.digest(truth), "\(kind) without a fault")
            await fixture.sim.state.inject(fault, endpoint: endpoint, count: 20)
            if let (_, bytes) = try? await fixture.download(kind) {
                #expect(Self.digest(bytes) == Self.digest(truth), "\(fault) on \(endpoint) gave other bytes")
            }
            await fixture.sim.state.inject(fault, endpoint: endpoint, count: 0)
        }
        #expect((await fixture.sim.state.injectedFaultCounts()[fault.controlName] ?? 0) > 0)
    }

    /// A short summary of bytes for a failure message (a 64-bit FNV-1a and the count), not the bytes themselves.
    static func digest(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\(bytes.count) bytes, fnv1a \(String(hash, radix: 16))"
    }

    @Test func aStallFailsAfterTheIdleTimeoutWithoutRetry() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.stall(seconds: 30), endpoint: .mediaGet, count: 5)
        let start = ContinuousClock.now
        let error = await #expect(throws: WeChatError.self) { try await fixture.download(.image, idleTimeout: .seconds(1)) }
        #expect(error?.category == .timeout)
        #expect(ContinuousClock.now - start < .seconds(5), "one timed-out call and its one retry after a stalled head, not one per retry")
        #expect(await fixture.calls(.mediaGet) == 2, "the stalled call and one more on a fresh connection, both within the timeout")
    }

    @Test func aFaultRateIsDrawnFromItsSeed() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.setFaultRate(1, kinds: [.http500], endpoints: [.mediaGet], seed: 7)
        await #expect(throws: WeChatError.self) { try await fixture.download(.image) }
        #expect(await fixture.sim.state.injectedFaultCounts()["http500"] == RetryPolicy().attempts)
        await fixture.sim.state.setFaultRate(0, kinds: [], endpoints: [], seed: 0)
        let (_, bytes) = try await fixture.download(.image)
        #expect(bytes == (await fixture.sim.bytes(of: fixture.item(.image).id, kind: .image)))
    }
}
