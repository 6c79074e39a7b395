import Locking
import Foundation
import MediaCache
import Synchronization
import Testing
@testable import MediaFS

/// A hook installed once and called on every idle report (`IdleHook`; `SpeexReader` is built the same way) must cost
/// the same on the 10,000th call as on the first. A closure kept bare in a Mutex was re-abstracted and written
/// back on every read, two thunk frames more each time: found by `perf` as 40% of a mount's time in nested
/// thunks after 10,000 lookups. Measured here without a clock: the stack depth at which the closure runs.
@Suite struct IdleHookTests {
    static func stackAddress() -> Int {
        var marker = 0
        return withUnsafeMutablePointer(to: &marker) { Int(bitPattern: $0) }
    }

    @Test func theIdleHookRunsAtTheSameDepthOnEveryCall() throws {
        let fixture = try FSFixture([:])
        let item = MediaItem(key: CacheKey(kind: .media, id: "x"), context: fixture.fs.context)
        let hook = IdleHook()
        let depths = Mutex<[Int]>([])
        hook.install { _, _ in depths.locked { $0.append(Self.stackAddress()) } }
        for _ in 0..<5_000 { hook(CacheKey(kind: .media, id: "x"), item) }
        let seen = depths.locked { $0 }
        #expect(seen.count == 5_000)
        #expect(abs(seen[0] - seen[4_999]) < 1024, "the stack grew by \(abs(seen[0] - seen[4_999])) bytes over 5,000 calls")
    }
}
