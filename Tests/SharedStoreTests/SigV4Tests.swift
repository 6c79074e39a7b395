import Foundation
import SharedStore
import Testing

/// The signer against AWS's published vectors (Fixtures/sigv4, README there): each stage separately, the
/// canonical request, the string to sign and the signature, byte for byte as AWS printed them.
struct SigV4Tests {
    struct Case {
        let name: String
        let method: String
        let path: String
        let query: [(name: String, value: String)]
        let headers: [(name: String, value: String)]
        let body: [UInt8]
        let context: [String: Any]
        let folder: URL

        func expected(_ file: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) }
        var date: Date { ISO8601DateFormatter().date(from: context["timestamp"] as! String)! }
        var signer: SigV4 {
            let credentials = context["credentials"] as! [String: String]
            return SigV4(credentials: StoreCredentials(accessKeyID: credentials["access_key_id"]!, secretAccessKey: credentials["secret_access_key"]!),
                         region: context["region"] as! String, service: context["service"] as! String)
        }
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sigv4")

    /// Every case whose expectation holds for S3's rules: a suite case that normalises a path with dot segments or
    /// doubled slashes is left out (S3 signs the key as it is; its `-unnormalized` twin is kept).
    static func cases() throws -> [Case] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasSuffix(".md") }.sorted()
        return try names.compactMap { name in
            let folder = folder.appendingPathComponent(name)
            let context = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("context.json"))) as! [String: Any]
            let raw = try Data(contentsOf: folder.appendingPathComponent("request.txt"))
            let text = String(decoding: raw, as: UTF8.self)
            let (head, body) = text.range(of: "\n\n").map { (String(text[..<$0.lowerBound]), Array(text[$0.upperBound...].utf8)) } ?? (text, [])
            var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let requestLine = lines.removeFirst()
            let method = String(requestLine.prefix { $0 != " " })
            var target = String(requestLine.dropFirst(method.count + 1))
            if target.hasSuffix(" HTTP/1.1") { target.removeLast(" HTTP/1.1".count) }
            if !target.hasPrefix("/") { target = "/" + target }
            let pathPart = String(target.prefix { $0 != "?" })
            let queryPart = target.dropFirst(pathPart.count + 1)
            if context["normalize"] as? Bool == true, pathPart.contains("/.") || pathPart.contains("//") { return nil }
            let query = queryPart.isEmpty ? [] : queryPart.split(separator: "&").map { item -> (name: String, value: String) in
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(pair[0]).removingPercentEncoding!, pair.count > 1 ? String(pair[1]).removingPercentEncoding! : "")
            }
            let headers = lines.filter { !$0.isEmpty }.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                let name = String(line[..<colon])
                return name.lowercased() == "authorization" ? nil : (name, String(line[line.index(after: colon)...]))
            }
            return Case(name: name, method: method, path: pathPart.removingPercentEncoding ?? pathPart, query: query, headers: headers, body: body,
                        context: context, folder: folder)
        }
    }

    @Test func theFixturesAreThere() throws {
        let names = try Self.cases().map(\.name)
        #expect(names.count >= 16)
        #expect(names.contains("s3-get-object") && names.contains("s3-put-object") && names.contains("get-utf8"))
    }

    @Test func eachStageMatchesAWSsPublishedVectors() throws {
        for test in try Self.cases() {
            let stamp = SigV4.timestamp(test.date)
            var headers = test.headers
            if !headers.contains(where: { $0.name.lowercased() == "x-amz-date" }) { headers.append(("X-Amz-Date", stamp)) }
            let payloadHash = SigV4.hexSHA256(test.body)
            // `sign_body`: the payload's hash is sent and signed as a header too (what S3Client always does).
            if test.context["sign_body"] as? Bool == true, !headers.contains(where: { $0.name.lowercased() == "x-amz-content-sha256" }) {
                headers.append(("x-amz-content-sha256", payloadHash))
            }
            let request = SigV4.Request(method: test.method, path: test.path, query: test.query, headers: headers, payloadHash: payloadHash)
            let (canonical, _) = SigV4.canonicalRequest(request)
            #expect(canonical == (try test.expected("canonical-request.txt")), "\(test.name): canonical request")
            let toSign = test.signer.stringToSign(canonicalRequest: canonical, timestamp: stamp)
            #expect(toSign == (try test.expected("string-to-sign.txt")), "\(test.name): string to sign")
            #expect(test.signer.signature(stringToSign: toSign, day: String(stamp.prefix(8))) == (try test.expected("signature.txt")), "\(test.name): signature")
        }
    }

    /// The whole path a request takes (`authorize` adds the date and the header), for S3's four examples.
    @Test func authorizeAddsTheDateAndTheSignedHeader() throws {
        for test in try Self.cases() where test.name.hasPrefix("s3-") {
            let headers = test.headers.filter { $0.name.lowercased() != "x-amz-date" }
            let request = SigV4.Request(method: test.method, path: test.path, query: test.query, headers: headers, payloadHash: SigV4.hexSHA256(test.body))
            let added = test.signer.authorize(request, at: test.date)
            #expect(added.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
            let authorization = try #require(added.first { $0.name == "Authorization" }?.value)
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders="), "\(test.name)")
            #expect(authorization.hasSuffix("Signature=" + (try test.expected("signature.txt"))), "\(test.name)")
        }
    }

    @Test func aSessionTokenIsSignedAndNoDescriptionShowsASecret() {
        let credentials = StoreCredentials(accessKeyID: "AKID", secretAccessKey: "SECRETKEY123", sessionToken: "TOKEN456")
        let request = SigV4.Request(method: "GET", path: "/b/k", headers: [("host", "h")], payloadHash: SigV4.emptyPayloadHash)
        let added = SigV4(credentials: credentials, region: "us-east-1").authorize(request, at: Date(timeIntervalSince1970: 0))
        #expect(added.contains { $0.name == "x-amz-security-token" && $0.value == "TOKEN456" })
        #expect(added.last?.value.contains("SignedHeaders=host;x-amz-date;x-amz-security-token") == true)
        #expect(!"\(credentials)".contains("SECRETKEY123") && !"\(credentials)".contains("TOKEN456"))
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
    }
}
