import Foundation
import Testing

/// A stalled upstream (the simulator holds an answer 60 s): one stalled request is asked again on a fresh
/// connection after half of `--timeout`; two in a row fail the read with ETIMEDOUT within `--timeout`, and other
/// lookups in the same directory are not held behind it (libfuse 3.14 never asked the kernel for parallel
/// directory operations; cfuse.h adds the flag to its INIT reply).
@Suite struct StallTests {
    @Test func aStallTimesOutAndHoldsNoOtherLookup() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "3*image:64K"])
        let images = try await sim.items().filter { $0.kind == "image" && $0.size == 64 << 10 }
        try #require(images.count == 3)
        let mount = try MountProcess(sim: sim, extra: ["--timeout", "4"])
        defer { mount.unmount() }
        // Two stalls: the first request and its one retry.
        try await sim.post("/__sim/fault", #"{"endpoint":"media/get","fault":"stall","seconds":60,"count":2}"#)
        let start = Date()
        let stalled = Task { await mount.run(["cat", mount.path(images[0].path)], timeout: 30) }
        try await Task.sleep(for: .milliseconds(2_500))  // past the first stall (2 s): its retry has the second
        let other = Date()
        #expect(await mount.sha256(images[1].path) == (try await sim.expectedSHA(images[1])))
        #expect(Date().timeIntervalSince(other) < 2, "a lookup in media/ waited behind the stalled one")
        let result = await stalled.value
        #expect(result.status != 0 && result.error.contains("Connection timed out"), "\(result.error)")
        #expect(Date().timeIntervalSince(start) < 7, "ETIMEDOUT after --timeout 4, not after retries")
    }

    /// Issue 18, point 8: one stalled request (a half-dead pooled connection) costs half the timeout, not the read.
    @Test func oneStalledRequestIsAskedAgainOnAFreshConnection() async throws {
        try requireFUSE()
        let sim = try SimProcess(["--generate", "image:64K"])
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let mount = try MountProcess(sim: sim, extra: ["--timeout", "4"])
        defer { mount.unmount() }
        try await sim.post("/__sim/fault", #"{"endpoint":"media/get","fault":"stall","seconds":60,"count":1}"#)
        #expect(await mount.sha256(image.path) == (try await sim.expectedSHA(image)))
        #expect(try await sim.calls("media/get") == 2, "the stalled request and its one retry")
    }
}
