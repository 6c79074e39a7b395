import Locking
import Foundation
import Synchronization
@testable import MediaCache

/// A clock that moves only when told to.
final class TestClock: Sendable {
    private let time: Mutex<Double>

    init(_ start: Double = Date().timeIntervalSince1970) { time = Mutex(start) }

    var now: @Sendable () -> Double { { [self] in time.locked { $0 } } }
    func advance(by seconds: Double) { time.locked { $0 += seconds } }
}

/// A pid no process can have (above any pid_max).
let deadPID: Int32 = 999_999_999

func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

func makeFolder(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

func makeFile(_ path: String, _ bytes: [UInt8] = [1, 2, 3]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// An item of one 4 KiB block, stored whole, fetched at `fetchedAt`.
func storeWholeItem(_ cache: DiskDataCache, _ key: CacheKey, fetchedAt: Double, blocks: Int = 1) async throws {
    var meta = item(size: Int64(blocks * 4096), blockSize: 4096)
    meta.fetchedAt = fetchedAt
    try await cache.storeItem(meta, for: key)
    for block in 0..<blocks { try await cache.store(key, block: block, data: [UInt8](repeating: UInt8(block), count: 4096)) }
}
