import Foundation
import Synchronization
import Testing
@testable import MediaCache

/// A mount on a big cache is ready at once (issue #21): the first scan runs beside it, an item asked for by key
/// meanwhile is read from its folder, and what needs every item waits for the scan.
@Suite struct BackgroundScanTests {
    func key(_ n: Int) -> CacheKey { CacheKey(kind: .media, id: "Scan_\(n)") }

    func filled(_ count: Int) async throws -> String {
        let directory = temporaryDirectory()
        let cache = try DiskDataCache(directory: directory, budget: 1 << 30, blockSize: 4096, packLimit: 0, logger: silent)
        for n in 0..<count {
            try await storeWholeItem(cache, key(n), fetchedAt: Date().timeIntervalSince1970, blocks: 1 + n % 3)
        }
        return directory
    }

    @Test func anItemAskedForBeforeTheScanReachesItIsReadFromItsFolder() async throws {
        let directory = try await filled(30)
        let blocking = try DiskDataCache(directory: directory, budget: 1 << 30, blockSize: 4096, packLimit: 0, logger: silent)
        let gate = DispatchSemaphore(value: 0)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 30, blockSize: 4096, access: .unshared, mediaLife: CachedItem.mediaLife,
                                      now: { Date().timeIntervalSince1970 }, scanInBackground: true, scanGate: gate, logger: silent)
        #expect(cache.statistics().items == 0, "nothing scanned yet: the gate holds the scan")
        #expect(cache.item(key(7)) == blocking.item(key(7)), "read from its own folder, as the blocking scan read it")
        #expect(cache.hasBlock(key(7), 1) && !cache.hasBlock(key(7), 2), "item 7 has 2 blocks")
        #expect(try await cache.read(key(8), block: 0, range: 0..<16) == [UInt8](repeating: 0, count: 16))
        #expect(cache.item(CacheKey(kind: .media, id: "Not_here")) == nil)
        gate.signal()
        #expect(await cache.summaries(nil).count == 30, "a listing waits for the scan")
        #expect(cache.statistics() == blocking.statistics(), "the same index as the blocking scan, items read early counted once")
    }

    @Test func concurrentAsksForOneKeyAllSeeIt() async throws {
        let directory = try await filled(5)
        let gate = DispatchSemaphore(value: 0)
        let cache = try DiskDataCache(directory: directory, budget: 1 << 30, blockSize: 4096, access: .unshared, mediaLife: CachedItem.mediaLife,
                                      now: { Date().timeIntervalSince1970 }, scanInBackground: true, scanGate: gate, logger: silent)
        defer { gate.signal() }
        let seen = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 32) { _ in
            if cache.item(key(3)) != nil { seen.withLock { $0 += 1 } }
        }
        #expect(seen.withLock { $0 } == 32, "a caller arriving while another reads the folder waits for that read")
    }
}

