import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The part of S3 the shared tier needs, on AsyncHTTPClient and `SigV4`: GetObject by range, HeadObject,
/// conditional PutObject, multipart upload, ListObjectsV2 and DeleteObject. Keys are relative to the location's
/// prefix. Every call is signed with the payload's SHA-256; no call logs or throws a credential or a signature.
public struct S3Client: Sendable {
    public let location: S3Location
    let signer: SigV4
    let http: HTTPClient
    let timeout: TimeAmount
    /// The clock the signature's date is read from (tests set it).
    let now: @Sendable () -> Date

    public init(location: S3Location, credentials: StoreCredentials, http: HTTPClient = S3Client.sharedHTTP, timeout: TimeAmount = .seconds(30),
                now: @escaping @Sendable () -> Date = Date.init) {
        self.location = location
        signer = SigV4(credentials: credentials, region: location.region)
        self.http = http
        self.timeout = timeout
        self.now = now
    }

    /// One client for the process's store calls, kept apart from WeChat's so neither's pool waits on the other's.
    public static let sharedHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        configuration.decompression = .disabled
        // Never followed: a redirect would carry the session token and the bodies to another host.
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// An object's head: its size, ETag, content type and `x-amz-meta-*` fields (names without the prefix).
    public struct Head: Sendable, Equatable {
        public var size: Int64
        public var etag: String
        public var contentType: String?
        public var metadata: [String: String]

        public init(size: Int64, etag: String, contentType: String?, metadata: [String: String]) {
            self.size = size
            self.etag = etag
            self.contentType = contentType
            self.metadata = metadata
        }
    }

    public enum PutOutcome: Sendable, Equatable {
        case created(etag: String)
        /// The condition failed: `ifAbsent` and the key was taken (by another host, or earlier), or `ifMatch` and the
        /// object there is another (replaced or removed meanwhile).
        case exists
    }

    // MARK: operations

    public func head(_ key: String) async throws -> Head? {
        let response = try await send("HEAD", key: key, operation: "HeadObject")
        if response.status == .notFound { return nil }
        try check(response, body: [], operation: "HeadObject")
        return Self.head(response.headers)
    }

    /// `range` of the object (all of it when nil); nil when there is no such object. At most `limit` bytes are read.
    public func get(_ key: String, range: Range<Int64>? = nil, limit: Int = 64 << 20) async throws -> (head: Head, bytes: [UInt8])? {
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")) }
        let response = try await send("GET", key: key, headers: headers, operation: "GetObject")
        if response.status == .notFound {
            _ = try? await collect(response, limit: 1 << 16, operation: "GetObject")
            return nil
        }
        let body = try await collect(response, limit: limit, operation: "GetObject")
        try check(response, body: body, operation: "GetObject", ok: range == nil ? [.ok] : [.partialContent, .ok])
        var head = Self.head(response.headers)
        if let total = response.headers.first(name: "Content-Range").flatMap(Self.total) { head.size = total }
        if let range, response.status == .ok {  // a store that ignored the range sent it all: take the slice
            let lower = Int(min(range.lowerBound, Int64(body.count))), upper = Int(min(range.upperBound, Int64(body.count)))
            return (head, Array(body[lower..<upper]))
        }
        return (head, body)
    }

    /// Puts `bytes` under `key`; with `ifAbsent` only when no object is there (`If-None-Match: *`), with `ifMatch`
    /// only in place of the object of that ETag (`If-Match`).
    public func put(_ key: String, bytes: [UInt8], contentType: String? = nil, metadata: [String: String] = [:], ifAbsent: Bool = false,
                    ifMatch: String? = nil) async throws -> PutOutcome {
        var headers = Self.objectHeaders(contentType: contentType, metadata: metadata)
        if ifAbsent { headers.append(("If-None-Match", "*")) }
        if let ifMatch { headers.append(("If-Match", ifMatch)) }
        let response = try await send("PUT", key: key, headers: headers, body: bytes, operation: "PutObject")
        let body = try await collect(response, limit: 1 << 16, operation: "PutObject")
        if ifAbsent || ifMatch != nil, response.status == .preconditionFailed { return .exists }
        try check(response, body: body, operation: "PutObject")
        return .created(etag: response.headers.first(name: "ETag") ?? "")
    }

    public func delete(_ key: String) async throws {
        let response = try await send("DELETE", key: key, operation: "DeleteObject")
        let body = try await collect(response, limit: 1 << 16, operation: "DeleteObject")
        if response.status == .notFound { return }
        try check(response, body: body, operation: "DeleteObject", ok: [.noContent, .ok])
    }

    /// One page of keys under `prefix` (relative to the location's prefix, returned relative too).
    public func list(prefix: String, continuation: String? = nil, maxKeys: Int = 1000) async throws -> (keys: [ListedKey], next: String?) {
        var query: [(name: String, value: String)] = [("encoding-type", "url"), ("list-type", "2"), ("max-keys", "\(maxKeys)"),
                                                       ("prefix", location.prefix + prefix)]
        if let continuation { query.append(("continuation-token", continuation)) }
        let response = try await send("GET", key: nil, query: query, operation: "ListObjectsV2")
        let body = try await collect(response, limit: 16 << 20, operation: "ListObjectsV2")
        try check(response, body: body, operation: "ListObjectsV2")
        guard let listing = S3XML.listing(body) else { throw S3Error(.badResponse, "the shared store's ListObjectsV2 answer is not a listing") }
        let keys = listing.objects.compactMap { object -> ListedKey? in
            // Keys come URL-encoded (`encoding-type=url`: a key with characters XML cannot hold still parses).
            guard let key = object.key.removingPercentEncoding, key.hasPrefix(location.prefix) else { return nil }
            let object = S3XML.Listing.Object(key: key, size: object.size, lastModified: object.lastModified, etag: object.etag)
            return ListedKey(key: String(object.key.dropFirst(location.prefix.count)), size: object.size, modified: Self.seconds(object.lastModified))
        }
        return (keys, listing.truncated ? listing.nextToken : nil)
    }

    /// One key of a listing: relative to the location's prefix, its size and last-modified time (seconds).
    public struct ListedKey: Sendable {
        public var key: String
        public var size: Int64
        public var modified: Double?
    }

    /// `2026-12-06T02:30:11.000Z` as seconds since 1970.
    static func seconds(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    // MARK: multipart

    public func startMultipart(_ key: String, contentType: String? = nil, metadata: [String: String] = [:]) async throws -> String {
        let response = try await send("POST", key: key, query: [("uploads", "")], headers: Self.objectHeaders(contentType: contentType, metadata: metadata),
                                      operation: "CreateMultipartUpload")
        let body = try await collect(response, limit: 1 << 16, operation: "CreateMultipartUpload")
        try check(response, body: body, operation: "CreateMultipartUpload")
        guard let id = S3XML.uploadID(body) else { throw S3Error(.badResponse, "the shared store's CreateMultipartUpload answer has no UploadId") }
        return id
    }

    /// Uploads part `number` (1…10,000; all but the last ≥ 5 MiB); its ETag, for the completion.
    public func uploadPart(_ key: String, uploadID: String, number: Int, bytes: [UInt8]) async throws -> String {
        let response = try await send("PUT", key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)], body: bytes, operation: "UploadPart")
        let body = try await collect(response, limit: 1 << 16, operation: "UploadPart")
        try check(response, body: body, operation: "UploadPart")
        guard let etag = response.headers.first(name: "ETag") else { throw S3Error(.badResponse, "the shared store's UploadPart answer has no ETag") }
        return etag
    }

    /// Completes an upload; with `ifAbsent` only when no object is there (`If-None-Match: *`).
    public func completeMultipart(_ key: String, uploadID: String, parts: [(number: Int, etag: String)], ifAbsent: Bool = false) async throws -> PutOutcome {
        let headers: [(String, String)] = ifAbsent ? [("If-None-Match", "*")] : []
        let response = try await send("POST", key: key, query: [("uploadId", uploadID)], headers: headers, body: S3XML.completion(parts),
                                      operation: "CompleteMultipartUpload")
        let body = try await collect(response, limit: 1 << 20, operation: "CompleteMultipartUpload")
        if ifAbsent, response.status == .preconditionFailed { return .exists }
        try check(response, body: body, operation: "CompleteMultipartUpload")
        // A 200 can still carry an error (S3 reports late failures in the body).
        if let error = S3XML.error(body) { throw S3Error(.unavailable, "the shared store failed CompleteMultipartUpload: \(error.code)", code: error.code) }
        return .created(etag: response.headers.first(name: "ETag") ?? "")
    }

    public func abortMultipart(_ key: String, uploadID: String) async throws {
        let response = try await send("DELETE", key: key, query: [("uploadId", uploadID)], operation: "AbortMultipartUpload")
        let body = try await collect(response, limit: 1 << 16, operation: "AbortMultipartUpload")
        if response.status == .notFound { return }
        try check(response, body: body, operation: "AbortMultipartUpload", ok: [.noContent, .ok])
    }

    // MARK: the wire

    /// A signed request for `key` (the bucket itself when nil).
    func send(_ method: String, key: String?, query: [(name: String, value: String)] = [], headers: [(String, String)] = [], body: [UInt8] = [],
              operation: String) async throws -> HTTPClientResponse {
        let path = location.path(key.map { location.prefix + $0 } ?? "")
        let payloadHash = body.isEmpty ? SigV4.emptyPayloadHash : SigV4.hexSHA256(body)
        var signed: [(name: String, value: String)] = [("host", location.hostHeader), ("x-amz-content-sha256", payloadHash)]
        signed += headers.map { (name: $0.0, value: $0.1) }
        let request = SigV4.Request(method: method, path: path, query: query, headers: signed, payloadHash: payloadHash)
        var http = HTTPClientRequest(url: location.url(path: path, query: query))
        http.method = HTTPMethod(rawValue: method)
        for (name, value) in signed + signer.authorize(request, at: now()) { http.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "PUT" || method == "POST" {
            http.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            return try await http.execute(on: self.http, timeout: timeout)
        } catch let error as HTTPClientError where error == .cancelled {
            throw S3Error(.cancelled, "\(operation) cancelled")
        } catch is CancellationError {
            throw S3Error(.cancelled, "\(operation) cancelled")
        } catch let error as HTTPClientError {
            throw S3Error(.transport, "the shared store did not answer \(operation): \(error.description)")
        } catch {
            throw S3Error(.transport, "the shared store did not answer \(operation): \(error)")
        }
    }

    func collect(_ response: HTTPClientResponse, limit: Int, operation: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                bytes.append(contentsOf: chunk.readableBytesView)
                if bytes.count > limit { throw S3Error(.badResponse, "the shared store's \(operation) answer is larger than \(limit) bytes") }
            }
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.transport, "the shared store's \(operation) answer broke off: \(error)")
        }
        return bytes
    }

    func check(_ response: HTTPClientResponse, body: [UInt8], operation: String, ok: Set<HTTPResponseStatus> = [.ok]) throws {
        guard !ok.contains(response.status) else { return }
        throw S3Error.answer(status: Int(response.status.code), body: body, operation: operation)
    }

    static func objectHeaders(contentType: String?, metadata: [String: String]) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { headers.append(("x-amz-meta-\(name.lowercased())", value)) }
        return headers
    }

    static func head(_ headers: HTTPHeaders) -> Head {
        var metadata: [String: String] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        return Head(size: headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0, etag: headers.first(name: "ETag") ?? "",
                    contentType: headers.first(name: "Content-Type"), metadata: metadata)
    }

    /// The total of `Content-Range: bytes a-b/total`.
    static func total(_ contentRange: String) -> Int64? {
        contentRange.split(separator: "/").last.flatMap { Int64($0) }
    }
}

extension HTTPClientRequest {
    fileprivate func execute(on client: HTTPClient, timeout: TimeAmount) async throws -> HTTPClientResponse {
        try await client.execute(self, timeout: timeout)
    }
}
