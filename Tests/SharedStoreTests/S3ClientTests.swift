import Foundation
import Scratch
import SharedStore
import Testing

/// The S3 client against a real store (SeaweedFS, started by scripts/seaweedfs), every result checked with boto3.
@Suite(.serialized) struct S3ClientTests {
    let store: Seaweed.Store

    init() throws { store = try Seaweed.store.get() }

    /// Random bytes from the kernel (a byte at a time through Swift's generator took 15 s for 10 MiB in a debug build).
    static func randomBytes(_ count: Int) -> [UInt8] {
        let source = FileHandle(forReadingAtPath: "/dev/urandom")!
        defer { try? source.close() }
        let bytes = [UInt8](source.readData(ofLength: count))
        precondition(bytes.count == count, "/dev/urandom gave \(bytes.count) of \(count) bytes")
        return bytes
    }

    static func file(_ bytes: [UInt8]) throws -> String {
        let path = Scratch.path("object.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aConditionalPutLandsOnceAndBoto3ReadsItsBytesAndMetadata() async throws {
        let bucket = try store.bucket("put")
        let client = try store.client(bucket: bucket)
        let bytes = Self.randomBytes(70_000), second = Self.randomBytes(1_000)
        let first = try await client.put("items/app/id1", bytes: bytes, contentType: "image/jpeg", metadata: ["ext": "jpg", "crc32c": "1234abcd"], ifAbsent: true)
        guard case .created = first else { Issue.record("not created: \(first)"); return }
        #expect(try await client.put("items/app/id1", bytes: second, ifAbsent: true) == .exists)
        #expect(try store.check("same", bucket, "wx/items/app/id1", try Self.file(bytes)) == "same")
        let meta = try JSONSerialization.jsonObject(with: Data(try store.check("meta", bucket, "wx/items/app/id1").utf8)) as! [String: Any]
        #expect(meta["metadata"] as? [String: String] == ["ext": "jpg", "crc32c": "1234abcd"])
        #expect(meta["content_type"] as? String == "image/jpeg")
    }

    @Test func rangesAndHeadsOfAnObjectBoto3Put() async throws {
        let bucket = try store.bucket("get")
        let bytes = Self.randomBytes(300_000)
        _ = try store.check("put", bucket, "wx/items/app/id2", try Self.file(bytes), "origin=media/get")
        let client = try store.client(bucket: bucket)
        let head = try #require(try await client.head("items/app/id2"))
        #expect(head.size == 300_000 && head.metadata["origin"] == "media/get")
        let slice = try #require(try await client.get("items/app/id2", range: 131_072..<262_144))
        #expect(slice.bytes == Array(bytes[131_072..<262_144]) && slice.head.size == 300_000)
        let tail = try #require(try await client.get("items/app/id2", range: 262_144..<400_000))
        #expect(tail.bytes == Array(bytes[262_144...]))
        #expect(try await client.get("items/app/none") == nil)
        #expect(try await client.head("items/app/none") == nil)
    }

    @Test func aMultipartUploadLandsWholeAndOnlyOnce() async throws {
        let bucket = try store.bucket("multi")
        let client = try store.client(bucket: bucket)
        let part1 = Self.randomBytes(5 << 20), part2 = Self.randomBytes(123_457)
        let id = try await client.startMultipart("items/app/big", contentType: "video/mp4", metadata: ["size": "\(part1.count + part2.count)"])
        let tag1 = try await client.uploadPart("items/app/big", uploadID: id, number: 1, bytes: part1)
        let tag2 = try await client.uploadPart("items/app/big", uploadID: id, number: 2, bytes: part2)
        let done = try await client.completeMultipart("items/app/big", uploadID: id, parts: [(1, tag1), (2, tag2)], ifAbsent: true)
        guard case .created = done else { Issue.record("not created: \(done)"); return }
        #expect(try store.check("same", bucket, "wx/items/app/big", try Self.file(part1 + part2)) == "same")
        // A second upload of the same key, conditional: the first stays.
        let again = try await client.startMultipart("items/app/big")
        let tag = try await client.uploadPart("items/app/big", uploadID: again, number: 1, bytes: part2)
        let outcome = try await client.completeMultipart("items/app/big", uploadID: again, parts: [(1, tag)], ifAbsent: true)
        if outcome != .exists { try? await client.abortMultipart("items/app/big", uploadID: again) }
        #expect(outcome == .exists)
        #expect(try store.check("same", bucket, "wx/items/app/big", try Self.file(part1 + part2)) == "same")
    }

    /// Virtual-host style: every call goes to BUCKET.localhost:PORT with the key alone as its path; boto3 (path
    /// style, on 127.0.0.1) sees what landed in that bucket.
    @Test func virtualHostStyleReachesTheBucketByItsHostName() async throws {
        let bucket = try store.bucket("vhost")
        let host = "\(bucket).localhost"
        var hints = addrinfo(), found: UnsafeMutablePointer<addrinfo>?
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let resolved = getaddrinfo(host, nil, &hints, &found)
        if found != nil { freeaddrinfo(found) }
        try #require(resolved == 0, "\(host) does not resolve: scripts/bootstrap installs libnss-myhostname for it")
        let client = try store.client(bucket: bucket, virtualHost: true)
        let bytes = Self.randomBytes(200_000)
        let put = try await client.put("items/app/v1", bytes: bytes, contentType: "image/png", metadata: ["ext": "png"], ifAbsent: true)
        guard case .created = put else { Issue.record("not created: \(put)"); return }
        #expect(try await client.put("items/app/v1", bytes: [1], ifAbsent: true) == .exists)
        #expect(try store.check("same", bucket, "wx/items/app/v1", try Self.file(bytes)) == "same")
        let slice = try #require(try await client.get("items/app/v1", range: 1_000..<70_000))
        #expect(slice.bytes == Array(bytes[1_000..<70_000]))
        #expect(try await client.head("items/app/v1")?.metadata["ext"] == "png")
        let part = Self.randomBytes(5 << 20)
        let upload = try await client.startMultipart("items/app/v2")
        let tag = try await client.uploadPart("items/app/v2", uploadID: upload, number: 1, bytes: part)
        let done = try await client.completeMultipart("items/app/v2", uploadID: upload, parts: [(1, tag)], ifAbsent: true)
        guard case .created = done else { Issue.record("not created: \(done)"); return }
        #expect(try store.check("same", bucket, "wx/items/app/v2", try Self.file(part)) == "same")
        #expect(try await client.list(prefix: "items/", continuation: nil, maxKeys: 10).keys.map(\.key) == ["items/app/v1", "items/app/v2"])
        try await client.delete("items/app/v1")
        #expect(try store.check("exists", bucket, "wx/items/app/v1") == "no")
    }

    @Test func aListingPagesThroughEveryKeyUnderItsPrefixAndDeleteRemoves() async throws {
        let bucket = try store.bucket("list")
        let names = (0..<5).map { "items/app/id\($0)" }
        for name in names { _ = try store.check("put", bucket, "wx/\(name)", try Self.file([1, 2, 3])) }
        _ = try store.check("put", bucket, "other/items/app/x", try Self.file([1]))
        let client = try store.client(bucket: bucket)
        var keys: [String] = [], token: String?, pages = 0
        repeat {
            let page = try await client.list(prefix: "items/", continuation: token, maxKeys: 2)
            keys += page.keys.map(\.key)
            token = page.next
            pages += 1
        } while token != nil && pages < 10
        #expect(keys.sorted() == names && pages == 3)
        try await client.delete("items/app/id0")
        #expect(try store.check("exists", bucket, "wx/items/app/id0") == "no")
        #expect(try store.check("exists", bucket, "wx/items/app/id1") == "yes")
    }

    @Test func wrongCredentialsAndAMissingBucketAreToldApart() async throws {
        let bucket = try store.bucket("auth")
        let wrong = try store.client(bucket: bucket, credentials: StoreCredentials(accessKeyID: store.credentials.accessKeyID, secretAccessKey: "not-the-secret"))
        await #expect { try await wrong.head("items/x") } throws: { ($0 as? S3Error)?.kind == .accessDenied }
        await #expect { try await wrong.put("items/x", bytes: [1]) } throws: { error in
            guard let error = error as? S3Error else { return false }
            return error.kind == .accessDenied && !error.message.contains("not-the-secret")
        }
        let missing = try store.client(bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())")
        await #expect { try await missing.list(prefix: "") } throws: { ($0 as? S3Error)?.kind == .noSuchBucket }
    }
}
