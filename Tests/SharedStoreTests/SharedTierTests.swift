import Foundation
import Logging
import MediaCache
import Scratch
import SharedStore
import Testing

/// The shared tier as the second tier of hosts' caches, on a real store (SeaweedFS), what landed checked with boto3.
@Suite(.serialized) struct SharedTierTests {
    let store: Seaweed.Store
    static let blockSize = 64 << 10
    static let logger = Logger(label: "test")

    init() throws { store = try Seaweed.store.get() }

    /// A host: its own cache directory over the shared tier.
    /// A host: its disk cache over the store; `stagingBudget` below the default writes smaller items in parts.
    func host(_ bucket: String, client: S3Client? = nil, stagingBudget: Int = 64 << 20) throws -> (cache: MultilevelDataCache, disk: DiskDataCache, tier: S3DataCache) {
        let disk = try DiskDataCache(directory: Scratch.directory("host"), budget: 1 << 30, blockSize: Self.blockSize, logger: Self.logger)
        let tier = S3DataCache(client: try client ?? store.client(bucket: bucket), appID: "wxapp", blockSize: Self.blockSize, local: disk,
                               stagingBudget: stagingBudget, logger: Self.logger)
        return (MultilevelDataCache(first: disk, second: tier), disk, tier)
    }

    static func item(size: Int) -> CachedItem {
        CachedItem(size: Int64(size), contentType: "image/jpeg", filename: nil, fileExtension: "jpg", rangeSupported: true, videoURL: nil,
                   fetchedAt: 1_765_000_000, blockSize: blockSize, createdAt: 1_764_990_000)
    }

    /// What a transfer does: the meta, then each block as it completes (CheckedBlock computes its CRC here).
    static func fetch(_ bytes: [UInt8], into cache: any DataCache, key: CacheKey) async throws {
        try await cache.storeItem(item(size: bytes.count), for: key)
        for (index, start) in stride(from: 0, to: bytes.count, by: blockSize).enumerated() {
            try await cache.store(key, index, CheckedBlock(Array(bytes[start..<min(start + blockSize, bytes.count)])))
        }
    }

    /// An item too large to stage whole is written in parts as its blocks come, its checksums in a table written for
    /// that object; another host reads any block of it, checked; a table that is not that object's serves nothing.
    @Test func anItemTooLargeToStageIsWrittenInPartsAndReadChecked() async throws {
        let bucket = try store.bucket("parts")
        let bytes = S3ClientTests.randomBytes(20 << 20), key = CacheKey(kind: .media, id: "MEDIA_large_1")
        let (cache, _, tier) = try host(bucket, stagingBudget: 2 << 20)
        try await Self.fetch(bytes, into: cache, key: key)
        await tier.drain()
        #expect(tier.tierStatistics.objectsWritten == 1 && tier.tierStatistics.writesDropped == 0)
        #expect(try store.check("same", bucket, "wx/items/wxapp/MEDIA_large_1", try S3ClientTests.file(bytes)) == "same")
        #expect(try store.check("exists", bucket, "wx/crcs/wxapp/MEDIA_large_1") == "yes")
        let b = try host(bucket)
        let item = try #require(try await b.cache.loadItem(key))
        #expect(item.size == Int64(bytes.count))
        for index in [0, 1, 200, item.blockCount() - 1] {
            let start = index * Self.blockSize
            #expect(try await b.tier.block(key, index)?.bytes == Array(bytes[start..<min(start + Self.blockSize, bytes.count)]), "block \(index)")
        }
        // The same table said to be another object's (another ETag, as a copy of another upload's would): nothing of
        // the item is served.
        let table = try store.check("body", bucket, "wx/crcs/wxapp/MEDIA_large_1")
        let etag = try #require(table.range(of: #""etag":""#).map { table[$0.upperBound...].prefix { $0 != "\"" } })
        let other = table.replacingOccurrences(of: String(etag), with: "0123456789abcdef0123456789abcdef-3")
        _ = try store.check("put", bucket, "wx/crcs/wxapp/MEDIA_large_1", try S3ClientTests.file(Array(other.utf8)))
        let c = try host(bucket)
        #expect(try await c.cache.loadItem(key) == nil)
    }

    /// Blocks that come out of order (a reader that jumped 200 blocks ahead, then came back; a video's readahead)
    /// are written once those before them came: the object is the item's bytes.
    @Test func aLargeItemReadOutOfOrderIsWrittenWhole() async throws {
        let bucket = try store.bucket("jumped")
        let bytes = S3ClientTests.randomBytes(20 << 20), key = CacheKey(kind: .media, id: "MEDIA_jumped")
        let (cache, _, tier) = try host(bucket, stagingBudget: 1 << 20)
        try await cache.storeItem(Self.item(size: bytes.count), for: key)
        let count = bytes.count / Self.blockSize
        for index in [0] + Array(200..<count) + Array(1..<200) {
            let start = index * Self.blockSize
            try await cache.store(key, index, CheckedBlock(Array(bytes[start..<(start + Self.blockSize)])))
        }
        await tier.drain()
        #expect(tier.tierStatistics.objectsWritten == 1 && tier.tierStatistics.writesDropped == 0)
        #expect(try store.check("same", bucket, "wx/items/wxapp/MEDIA_jumped", try S3ClientTests.file(bytes)) == "same")
    }

    /// A large item's parts are read back from the local tier: a block it does not hold, or holds other bytes of
    /// (not the checksum its transfer gave), abandons the upload, counted: nothing written, never other bytes.
    @Test func aLargeItemWhoseBlocksTheLocalTierLostIsNotWritten() async throws {
        let bucket = try store.bucket("lost")
        let bytes = S3ClientTests.randomBytes(10 << 20)
        for (id, other) in [("MEDIA_lost", nil), ("MEDIA_other", S3ClientTests.randomBytes(10 << 20))] {
            let key = CacheKey(kind: .media, id: id)
            let first = try DiskDataCache(directory: Scratch.directory("host"), budget: 1 << 30, blockSize: Self.blockSize, logger: Self.logger)
            // The tier's local tier is not the one the blocks went to: empty, or holding the other bytes.
            let elsewhere = try DiskDataCache(directory: Scratch.directory("elsewhere"), budget: 1 << 30, blockSize: Self.blockSize, logger: Self.logger)
            if let other { try await Self.fetch(other, into: elsewhere, key: key) }
            let tier = S3DataCache(client: try store.client(bucket: bucket), appID: "wxapp", blockSize: Self.blockSize, local: elsewhere,
                                   stagingBudget: 1 << 20, logger: Self.logger)
            try await Self.fetch(bytes, into: MultilevelDataCache(first: first, second: tier), key: key)
            await tier.drain()
            #expect(tier.tierStatistics.writesDropped == 1 && tier.tierStatistics.objectsWritten == 0, "\(id)")
            #expect(try store.check("exists", bucket, "wx/items/wxapp/\(id)") == "no")
        }
    }

    /// A stop finishes the writes under way: once `finishWrites` returns, the item fetched just before is in the store.
    @Test func aStopFinishesTheWritesUnderWay() async throws {
        let bucket = try store.bucket("finish")
        let a = try host(bucket)
        try await Self.fetch(S3ClientTests.randomBytes(200_000), into: a.cache, key: CacheKey(kind: .media, id: "MEDIA_last"))
        await a.cache.finishWrites()
        #expect(a.tier.tierStatistics.objectsWritten == 1)
    }

    @Test func anItemOneHostFetchedIsReadByAnotherFromTheStoreAndBackFilled() async throws {
        let bucket = try store.bucket("tier")
        let bytes = S3ClientTests.randomBytes(150_000), key = CacheKey(kind: .media, id: "MEDIA_one_1")
        let a = try host(bucket)
        try await Self.fetch(bytes, into: a.cache, key: key)
        await a.tier.drain()
        #expect(a.tier.tierStatistics.objectsWritten == 1)
        #expect(try store.check("same", bucket, "wx/items/wxapp/MEDIA_one_1", try S3ClientTests.file(bytes)) == "same")

        let b = try host(bucket)
        let item = try #require(try await b.cache.loadItem(key))
        #expect(item.size == 150_000 && item.fileExtension == "jpg" && item.createdAt == 1_764_990_000 && item.contentType == "image/jpeg")
        var read: [UInt8] = []
        for index in 0..<item.blockCount() { read += try #require(try await b.cache.block(key, index)).bytes }
        #expect(read == bytes)
        #expect(b.tier.tierStatistics.hits == 3)
        #expect(b.disk.holdsWhole(key))  // back-filled: the next read is local
        let again = try await b.cache.bytes(key, 1, range: 0..<100)
        #expect(again == Array(bytes[Self.blockSize..<(Self.blockSize + 100)]) && b.tier.tierStatistics.hits == 3)
    }

    @Test func anotherHostListsWhatTheFleetHolds() async throws {
        let bucket = try store.bucket("names")
        let a = try host(bucket)
        let photo = CacheKey(kind: .media, id: "MEDIA_listed"), voice = CacheKey(kind: .hd, id: "MEDIA_voice")
        try await Self.fetch(S3ClientTests.randomBytes(5_000), into: a.cache, key: photo)
        try await a.cache.storeItem(CachedItem(size: 3, contentType: "audio/speex", filename: nil, fileExtension: "speex", rangeSupported: true,
                                               videoURL: nil, fetchedAt: 1_765_000_000, blockSize: Self.blockSize), for: voice)
        try await a.cache.store(voice, 0, CheckedBlock([1, 2, 3]))
        await a.tier.drain()
        #expect(try store.check("exists", bucket, "wx/names/wxapp/MEDIA_listed.jpg") == "yes")
        let b = try host(bucket)
        #expect(await b.cache.summaries(.media).isEmpty, "the first listing is not waited for")
        await b.tier.listingDone()
        let media = await b.cache.summaries(.media), hd = await b.cache.summaries(.hd)
        #expect(media.map { "\($0.key.id).\($0.fileExtension)" } == ["MEDIA_listed.jpg"] && media.allSatisfy(\.isComplete))
        #expect(hd.map { "\($0.key.id).\($0.fileExtension)" } == ["MEDIA_voice.speex"])
        // Hostile keys under names/ (put by boto3) are not listed.
        for bad in ["wx/names/wxapp/sub/dir/x.jpg", "wx/names/wxapp/x.waytoolongext", "wx/names/wxapp/a b.jpg", "wx/names/wxapp/id.JPG;rm", "wx/names/wxapp/noext"] {
            _ = try store.check("put", bucket, bad, try S3ClientTests.file([]))
        }
        let c = try host(bucket)
        _ = await c.cache.summaries(nil)
        await c.tier.listingDone()
        #expect(await c.cache.summaries(nil).count == 2)
    }

    @Test func whileOneHostFetchesAnotherWaitsForItsObjectInsteadOfCallingWeChat() async throws {
        let bucket = try store.bucket("lease")
        let key = CacheKey(kind: .media, id: "MEDIA_leased")
        let bytes = S3ClientTests.randomBytes(90_000)
        let a = try host(bucket), b = try host(bucket)
        #expect(await a.cache.claimFetch(key) == .proceed)
        #expect(await a.cache.claimFetch(key) == .proceed, "a second reader on the same host goes on with its own fetch")
        #expect(try store.check("exists", bucket, "wx/leases/wxapp/MEDIA_leased") == "yes")
        async let waited = b.cache.claimFetch(key)
        // Host A fetches only once host B is waiting on its lease (a condition, not a fixed time).
        let deadline = Date().addingTimeInterval(10)
        while b.tier.tierStatistics.leaseWaits == 0, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        try await Self.fetch(bytes, into: a.cache, key: key)  // host A's transfer, then its archive
        await a.tier.drain()
        #expect(await waited == .landed)
        #expect(b.tier.tierStatistics.leaseWaits == 1)
        let item = try #require(try await b.cache.loadItem(key))
        var read: [UInt8] = []
        for index in 0..<item.blockCount() { read += try #require(try await b.cache.block(key, index)).bytes }
        #expect(read == bytes)
        #expect(try store.check("exists", bucket, "wx/leases/wxapp/MEDIA_leased") == "yes", "kept once the object landed (no DELETE)")
        // A host whose miss came just before the object landed: the kept lease sends it to the object, not WeChat.
        let c = try host(bucket)
        #expect(await c.cache.claimFetch(key) == .landed)
    }

    @Test func anExpiredLeaseIsTakenOverAndALiveOneIsWaitedForOnlyUpToTheBound() async throws {
        let bucket = try store.bucket("expired")
        let dead = try S3ClientTests.file(Array(#"{"host":"dead-host","expires":1}"#.utf8))
        _ = try store.check("put", bucket, "wx/leases/wxapp/MEDIA_orphan", dead)
        let c = try host(bucket)
        #expect(await c.cache.claimFetch(CacheKey(kind: .media, id: "MEDIA_orphan")) == .proceed)
        #expect(try store.check("body", bucket, "wx/leases/wxapp/MEDIA_orphan").contains(c.tier.hostID))

        let live = try S3ClientTests.file(Array(#"{"host":"busy-host","expires":9999999999}"#.utf8))
        _ = try store.check("put", bucket, "wx/leases/wxapp/MEDIA_stuck", live)
        let impatient = S3DataCache(client: try store.client(bucket: bucket), appID: "wxapp", blockSize: Self.blockSize, leaseWait: 1, logger: Self.logger)
        let start = Date()
        #expect(await impatient.claimFetch(CacheKey(kind: .media, id: "MEDIA_stuck")) == .proceed)
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.9 && waited < 5, "\(waited) s")
    }

    /// Several hosts find the same expired lease at once: one takes it over (a write in its place, conditional on the
    /// ETag they read), the others wait for it instead of calling WeChat too.
    @Test func ofHostsFindingTheSameExpiredLeaseOneTakesItOver() async throws {
        let bucket = try store.bucket("takeover")
        let dead = try S3ClientTests.file(Array(#"{"host":"dead-host","expires":1}"#.utf8))
        _ = try store.check("put", bucket, "wx/leases/wxapp/MEDIA_contended", dead)
        let key = CacheKey(kind: .media, id: "MEDIA_contended")
        let hosts = try (0..<6).map { _ in
            S3DataCache(client: try store.client(bucket: bucket), appID: "wxapp", blockSize: Self.blockSize, leaseWait: 3, logger: Self.logger)
        }
        let outcomes: [(FetchClaim, Int)] = await withTaskGroup(of: (FetchClaim, Int).self) { group in
            for host in hosts { group.addTask { (await host.claimFetch(key), host.tierStatistics.leaseWaits) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let unwaited = outcomes.filter { $0.1 == 0 }
        #expect(unwaited.count == 1 && unwaited.allSatisfy { $0.0 == .proceed }, "one host went to WeChat at once, the others waited: \(outcomes)")
        let holder = try store.check("body", bucket, "wx/leases/wxapp/MEDIA_contended")
        #expect(hosts.filter { holder.contains($0.hostID) }.count == 1, "the lease names one of them: \(holder)")
    }

    /// Fields a hostile or foreign writer put (boto3): none reaches the filesystem as an item.
    @Test func anObjectWithHostileFieldsIsNotAnItem() async throws {
        let bucket = try store.bucket("hostile")
        let a = try host(bucket)
        let key = CacheKey(kind: .media, id: "MEDIA_good")
        try await Self.fetch(S3ClientTests.randomBytes(1_000), into: a.cache, key: key)
        await a.tier.drain()
        let good = (try JSONSerialization.jsonObject(with: Data(try store.check("meta", bucket, "wx/items/wxapp/MEDIA_good").utf8)) as! [String: Any])["metadata"]
            as! [String: String]
        let body = try S3ClientTests.file(S3ClientTests.randomBytes(1_000))
        let bad: [(String, [String: String])] = [
            ("fetched_huge", ["wx-fetched": "1e300"]), ("fetched_nan", ["wx-fetched": "nan"]), ("created_negative", ["wx-created": "-1e300"]),
            ("future", ["wx-fetched": "99999999999"]), ("other_block", ["wx-block": "524288"]), ("size_max", ["wx-size": "9223372036854775807"]),
            ("ext_path", ["wx-ext": "../x"]), ("table_short", ["wx-crc32c": "AAAA"]),
        ]
        for (name, change) in bad {
            let fields = good.merging(change) { $1 }.map { "\($0.key)=\($0.value)" }
            _ = try store.check(["put", bucket, "wx/items/wxapp/MEDIA_\(name)", body] + fields)
        }
        let b = try host(bucket)
        for (name, _) in bad {
            #expect(try await b.cache.loadItem(CacheKey(kind: .media, id: "MEDIA_\(name)")) == nil, "\(name)")
        }
        #expect(b.tier.tierStatistics.corrupt == bad.count && b.tier.tierStatistics.outages == 0)
        #expect(try await b.cache.loadItem(key)?.size == 1_000, "the well-formed one is read")
    }

    @Test func aSecondHostNeverOverwritesTheFirstsObject() async throws {
        let bucket = try store.bucket("once")
        let key = CacheKey(kind: .media, id: "MEDIA_twice")
        let first = S3ClientTests.randomBytes(70_000), other = S3ClientTests.randomBytes(70_000)
        let a = try host(bucket), b = try host(bucket)
        try await Self.fetch(first, into: a.cache, key: key)
        await a.tier.drain()
        try await Self.fetch(other, into: b.cache, key: key)
        await b.tier.drain()
        #expect(a.tier.tierStatistics.objectsWritten == 1 && b.tier.tierStatistics.objectsExisting == 1)
        #expect(try store.check("same", bucket, "wx/items/wxapp/MEDIA_twice", try S3ClientTests.file(first)) == "same")
    }

    @Test func anObjectWhoseBytesDoNotMatchItsChecksumIsNeverServed() async throws {
        let bucket = try store.bucket("corrupt")
        let key = CacheKey(kind: .media, id: "MEDIA_bad")
        let bytes = S3ClientTests.randomBytes(100_000)
        let a = try host(bucket)
        try await Self.fetch(bytes, into: a.cache, key: key)
        await a.tier.drain()
        // boto3 puts other bytes of the same size under the same fields (a damaged or tampered object).
        let fields = try JSONSerialization.jsonObject(with: Data(try store.check("meta", bucket, "wx/items/wxapp/MEDIA_bad").utf8)) as! [String: Any]
        var damaged = bytes
        damaged[Self.blockSize + 10] ^= 0xff
        let meta = (fields["metadata"] as! [String: String]).map { "\($0.key)=\($0.value)" }
        _ = try store.check(["put", bucket, "wx/items/wxapp/MEDIA_bad", try S3ClientTests.file(damaged)] + meta)
        let c = try host(bucket)
        #expect(try await c.cache.block(key, 0)?.bytes == Array(bytes[0..<Self.blockSize]))  // an intact block is fine
        #expect(try await c.cache.block(key, 1) == nil)  // the damaged one: a miss (WeChat is asked), never its bytes
        #expect(c.tier.tierStatistics.corrupt == 1)
        #expect(c.disk.holdsWhole(key) == false)
        // Fetched again from WeChat (the transfer delivers the item's true bytes): the damaged object is replaced.
        try await Self.fetch(bytes, into: c.cache, key: key)
        await c.tier.drain()
        #expect(try store.check("same", bucket, "wx/items/wxapp/MEDIA_bad", try S3ClientTests.file(bytes)) == "same")
        #expect(c.tier.tierStatistics.objectsWritten == 1)
    }

    /// The store stalls (SIGSTOP) mid-use, then dies (SIGKILL): reads miss within the client's timeout, once warned,
    /// and the item already back-filled reads on from the local tier; never a wrong byte.
    @Test func aStoreThatStallsThenDiesCostsAReaderOneTimeoutAndNoWrongByte() async throws {
        let own = try Seaweed.start()
        defer { kill(-own.processGroup, SIGKILL) }
        let bucket = try own.bucket("stall")
        let client = try own.client(bucket: bucket)
        let a = try host(bucket, client: client)
        let kept = CacheKey(kind: .media, id: "MEDIA_kept"), other = CacheKey(kind: .media, id: "MEDIA_other")
        let bytes = S3ClientTests.randomBytes(100_000)
        try await Self.fetch(bytes, into: a.cache, key: kept)
        try await Self.fetch(S3ClientTests.randomBytes(100_000), into: a.cache, key: other)
        await a.tier.drain()
        let filled = try host(bucket, client: client)
        #expect(try await filled.cache.block(kept, 0)?.bytes == Array(bytes[0..<Self.blockSize]), "\(filled.tier.tierStatistics)")  // back-filled
        // The same host's disk, its store calls now bounded by a 2 s timeout (a slow machine's first call may take longer).
        let quick = S3DataCache(client: try own.client(bucket: bucket, timeout: 2), appID: "wxapp", blockSize: Self.blockSize, logger: Self.logger)
        let b = (cache: MultilevelDataCache(first: filled.disk, second: quick), tier: quick)
        #expect(try await b.cache.loadItem(kept) != nil)  // the quick client's connection, before the stall
        kill(-own.processGroup, SIGSTOP)
        let start = Date()
        #expect(try await b.cache.block(kept, 1) == nil, "a stalled store is a miss, not a hang")
        #expect(try await b.cache.loadItem(other) == nil, "and the next call is not even made during the outage")
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 1.5 && waited < 6, "\(waited) s")
        #expect(b.tier.tierStatistics.outages == 1 && b.tier.tierStatistics.errors == 1, "one timeout, then no call during the outage")
        kill(-own.processGroup, SIGKILL)
        kill(-own.processGroup, SIGCONT)
        #expect(try await b.cache.block(kept, 0)?.bytes == Array(bytes[0..<Self.blockSize]), "the back-filled block reads on locally")
    }

    @Test func aStoreThatIsDownMissesAtOnceOnceWarnedAndIsNotAskedAgainDuringTheOutage() async throws {
        let location = try S3Location.parse(sharedCache: "s3://down/wx", endpoint: "http://127.0.0.1:9", region: "us-east-1", pathStyle: true).get()
        let a = try host("down", client: S3Client(location: location, credentials: store.credentials))
        let key = CacheKey(kind: .media, id: "MEDIA_x")
        let start = Date()
        #expect(try await a.cache.loadItem(key) == nil)
        #expect(try await a.cache.block(key, 0) == nil)
        try await Self.fetch([1, 2, 3], into: a.cache, key: key)
        await a.tier.drain()
        let statistics = a.tier.tierStatistics
        #expect(statistics.outages == 1 && statistics.errors == 1 && statistics.writesDropped == 1)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(try await a.disk.block(key, 0)?.bytes == [1, 2, 3])  // the local tier kept it
    }
}

extension Seaweed.Store {
    func check(_ arguments: [String]) throws -> String {
        try Seaweed.run([Seaweed.python, Seaweed.repository + "/Tests/SharedStoreTests/s3check.py", endpoint, credentialsFile] + arguments)
    }
}
