import Foundation
import Logging
import MediaCache
import Testing
import WeChatAPI
@testable import MediaFS
import Scratch

let silent = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

func pattern(_ count: Int, seed: Int = 1) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 7919) ^ seed) } }

struct FSFixture {
    let fs: MediaFileSystem
    let fake: FakeDownloader
    let clock: ManualClock
    let cacheDirectory: String

    init(_ items: [String: FakeDownloader.Item], rangeSupport: Bool = false, delay: UInt64 = 0, failure: WeChatError? = nil,
         blockSize: Int = 4096, cacheDirectory: String? = nil, unknownIDs: UnknownIDGuard.Limits? = nil, tier: CacheTier = .disk,
         cache given: (any DataCache)? = nil) throws {
        fake = FakeDownloader(items: items, rangeSupport: rangeSupport, delayNanoseconds: delay, failure: failure)
        clock = ManualClock()
        self.cacheDirectory = cacheDirectory ?? Scratch.path("fs-test")
        let clock = clock
        let cache: any DataCache = switch (given, tier) {
        case (let given?, _): given
        case (nil, .disk): try DiskDataCache(directory: self.cacheDirectory, budget: 1 << 30, blockSize: blockSize, now: { clock.now() }, logger: silent)
        case (nil, .memory): MemoryDataCache(blockSize: blockSize)
        }
        var config = FSConfiguration()
        config.videoWindow = Int64(blockSize)
        config.videoWindowMax = Int64(blockSize) * 8
        if let unknownIDs { config.unknownIDs = unknownIDs }
        fs = MediaFileSystem(downloader: fake, cache: cache, directory: self.cacheDirectory, clock: clock, config: config, logger: silent)
    }

    func readAll(_ name: String, parent: UInt64 = Inode.media, chunk: Int = 1000) async throws -> [UInt8] {
        let attributes = try await fs.lookup(parent: parent, name: name)
        let opened = try await fs.open(attributes.inode, flags: O_RDONLY)
        defer { fs.release(handle: opened.handle) }
        var result: [UInt8] = []
        while true {
            let bytes = try await fs.read(handle: opened.handle, offset: Int64(result.count), count: chunk)
            if bytes.isEmpty { return result }
            result += bytes
        }
    }
}

/// Which `DataCache` a core test runs on: the disk format, or memory (the seam's second implementation).
enum CacheTier: CaseIterable, Sendable {
    case disk, memory
}

func errno(of work: () async throws -> some Any) async -> Errno? {
    do {
        _ = try await work()
        return nil
    } catch let error as FSError {
        return error.errno
    } catch {
        return nil
    }
}

@Suite struct MediaFileSystemTests {
    static let id = "ImageId_0123456789"
    static let image = FakeDownloader.Item(bytes: pattern(10_000), contentType: "image/jpeg")

    @Test(arguments: CacheTier.allCases) func malformedNamesAreENOENTWithoutACall(tier: CacheTier) async throws {
        let fixture = try FSFixture([Self.id: Self.image], tier: tier)
        for name in ["", "a b", "../etc", "id!", String(repeating: "a", count: 129), "id.", "id.toolongext", "имя", ".hidden"] {
            #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: name) } == .noEntry, "\(name)")
        }
        #expect(fixture.fake.calls == 0)
    }

    @Test(arguments: CacheTier.allCases) func aLookupCostsOneCallAndNamesFollowTheRealExtension(tier: CacheTier) async throws {
        let fixture = try FSFixture([Self.id: Self.image], tier: tier)
        let bare = try await fixture.fs.lookup(parent: Inode.media, name: Self.id)
        #expect(bare.size == 10_000)
        let named = try await fixture.fs.lookup(parent: Inode.media, name: Self.id + ".jpg")
        #expect(named.inode == bare.inode)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: Self.id + ".png") } == .noEntry)
        #expect(try await fixture.readAll(Self.id + ".jpg") == Self.image.bytes)
        #expect(fixture.fake.calls == 1)
        let listing = try await fixture.fs.readdir(Inode.media).map(\.name)
        #expect(listing.contains(Self.id + ".jpg"))
    }

    @Test(arguments: CacheTier.allCases) func readsAcrossBlocksAtAnyOffset(tier: CacheTier) async throws {
        let fixture = try FSFixture([Self.id: Self.image], tier: tier)
        let attributes = try await fixture.fs.lookup(parent: Inode.media, name: Self.id)
        let opened = try await fixture.fs.open(attributes.inode, flags: O_RDONLY)
        for (offset, count) in [(0, 10), (4090, 20), (4000, 5000), (9990, 100), (10_000, 10), (0, 20_000)] {
            let bytes = try await fixture.fs.read(handle: opened.handle, offset: Int64(offset), count: count)
            #expect(bytes == Array(Self.image.bytes[min(offset, 10_000)..<min(10_000, offset + count)]), "\(offset)+\(count)")
        }
    }

    @Test(arguments: CacheTier.allCases) func concurrentColdReadersShareOneTransfer(tier: CacheTier) async throws {
        let fixture = try FSFixture([Self.id: Self.image], delay: 50_000_000, tier: tier)
        let results = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<20 { group.addTask { try await fixture.readAll(Self.id) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == Self.image.bytes })
        #expect(fixture.fake.calls == 1)
    }

    @Test(arguments: CacheTier.allCases) func missesAreRememberedForTheTTL(tier: CacheTier) async throws {
        let fixture = try FSFixture([:], tier: tier)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Gone_id") } == .noEntry)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Gone_id.jpg") } == .noEntry)
        #expect(fixture.fake.calls == 1)
        fixture.clock.advance(by: 61)
        #expect(await errno { try await fixture.fs.lookup(parent: Inode.media, name: "Gone_id") } == .noEntry)
        #expect(fixture.fake.calls == 2)
    }

    @Test(arguments: CacheTier.allCases) func aSizeWithoutContentLengthIsKnownOnlyWhenComplete(tier: CacheTier) async throws {
        var item = Self.image
        item.lengthKnown = false
        let fixture = try FSFixture([Self.id: item], tier: tier)
        #expect(try await fixture.fs.lookup(parent: Inode.media, name: Self.id).size == 10_000)
        #expect(try await fixture.readAll(Self.id) == item.bytes)
    }

    @Test(arguments: CacheTier.allCases) func videosAreReadInGrowingWindowsAndRandomReadsDirectly(tier: CacheTier) async throws {
        let video = FakeDownloader.Item(bytes: pattern(200_000, seed: 3), contentType: "video/mp4", video: true)
        let fixture = try FSFixture(["Video_id": video], rangeSupport: true, tier: tier)
        #expect(try await fixture.readAll("Video_id.mp4", chunk: 4096) == video.bytes)
        #expect(fixture.fake.bytesSent <= 200_000 + 4096)
        #expect(fixture.fake.calls < 200_000 / 4096 / 2)  // windows double: far fewer calls than blocks
        let cold = try FSFixture(["Video_id": video], rangeSupport: true, tier: tier)
        let attributes = try await cold.fs.lookup(parent: Inode.media, name: "Video_id")
        let opened = try await cold.fs.open(attributes.inode, flags: O_RDONLY)
        let tail = try await cold.fs.read(handle: opened.handle, offset: 190_000, count: 10_000)
        #expect(tail == Array(video.bytes[190_000...]))
        #expect(cold.fake.bytesSent < 30_000)  // the probe and the tail, not the whole video
    }

    @Test func aRemountReadsFromTheCacheWithoutCalls() async throws {
        let first = try FSFixture([Self.id: Self.image])
        _ = try await first.readAll(Self.id)
        await first.fs.drain()  // blocks are written beside the stream: as a process exit does, wait for them
        let second = try FSFixture([Self.id: Self.image], cacheDirectory: first.cacheDirectory)
        #expect(try await second.readAll(Self.id + ".jpg") == Self.image.bytes)
        #expect(second.fake.calls == 0)
    }

    @Test(arguments: CacheTier.allCases) func failuresBecomeTheirErrno(tier: CacheTier) async throws {
        let quota = try FSFixture([Self.id: Self.image], failure: WeChatError(.api(errcode: 45009), "quota"), tier: tier)
        #expect(await errno { try await quota.fs.lookup(parent: Inode.media, name: Self.id) } == .quota)
        let denied = try FSFixture([Self.id: Self.image], failure: WeChatError(.api(errcode: 40001), "token"), tier: tier)
        #expect(await errno { try await denied.fs.lookup(parent: Inode.media, name: Self.id) } == .accessDenied)
        let timeout = try FSFixture([Self.id: Self.image], failure: WeChatError(.timeout, "slow"), tier: tier)
        #expect(await errno { try await timeout.fs.lookup(parent: Inode.media, name: Self.id) } == .timedOut)
    }

    @Test(arguments: CacheTier.allCases) func aBodyShorterThanItsAnnouncedSizeIsEIONeverMadeUpBytes(tier: CacheTier) async throws {
        var item = Self.image
        item.silentlyShortAt = 6000
        let fixture = try FSFixture([Self.id: item], tier: tier)
        let attributes = try await fixture.fs.lookup(parent: Inode.media, name: Self.id)
        let opened = try await fixture.fs.open(attributes.inode, flags: O_RDONLY)
        #expect(try await fixture.fs.read(handle: opened.handle, offset: 0, count: 4096) == Array(item.bytes[0..<4096]))
        #expect(await errno { try await fixture.fs.read(handle: opened.handle, offset: 4096, count: 4096) } == .io)
    }

    @Test(arguments: CacheTier.allCases) func writesAreReadOnlyAndStatsIsJSON(tier: CacheTier) async throws {
        let fixture = try FSFixture([Self.id: Self.image], tier: tier)
        let attributes = try await fixture.fs.lookup(parent: Inode.media, name: Self.id)
        #expect(await errno { try await fixture.fs.open(attributes.inode, flags: O_WRONLY) } == .readOnlyFS)
        #expect(await errno { try await fixture.fs.open(attributes.inode, flags: O_RDWR) } == .readOnlyFS)
        let stats = try await fixture.fs.lookup(parent: Inode.control, name: "stats")
        let opened = try await fixture.fs.open(stats.inode, flags: O_RDONLY)
        #expect(opened.directIO)
        let bytes = try await fixture.fs.read(handle: opened.handle, offset: 0, count: 1 << 20)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["cache"] != nil && json["upstream"] != nil && json["filesystem"] != nil)
    }
}
