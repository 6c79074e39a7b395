import Crypto
import Foundation

/// AWS Signature Version 4 as S3 wants it (header-based, one chunk): the path is encoded once and never
/// normalised, the payload's SHA-256 (or `UNSIGNED-PAYLOAD`) is signed as `x-amz-content-sha256`. Each stage is
/// its own function so the tests can hold it against AWS's published canonical request, string to sign and
/// signature separately.
public struct SigV4: Sendable {
    public let credentials: StoreCredentials
    public let region: String
    public let service: String

    public init(credentials: StoreCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What is signed: a method, a path (decoded, as the object key reads), query items (decoded), headers (any
    /// case; `host` among them) and the payload's hash.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
                    payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = hexSHA256([])

    /// The headers to send with `request` at `date`: `x-amz-date`, `x-amz-security-token` when the credentials
    /// have one, and `Authorization`. `request.headers` must already hold `host` and, for S3, `x-amz-content-sha256`.
    public func authorize(_ request: Request, at date: Date) -> [(name: String, value: String)] {
        var signed = request
        let stamp = Self.timestamp(date)
        signed.headers.append(("x-amz-date", stamp))
        if let token = credentials.sessionToken { signed.headers.append(("x-amz-security-token", token)) }
        let added = signed.headers.suffix(signed.headers.count - request.headers.count)
        return Array(added) + [("Authorization", authorization(signed, timestamp: stamp))]
    }

    /// The `Authorization` header's value for a request whose headers already carry `x-amz-date` = `timestamp`.
    public func authorization(_ request: Request, timestamp: String) -> String {
        let (canonical, names) = Self.canonicalRequest(request)
        let signature = self.signature(stringToSign: stringToSign(canonicalRequest: canonical, timestamp: timestamp), day: String(timestamp.prefix(8)))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(day: String(timestamp.prefix(8)))), SignedHeaders=\(names), Signature=\(signature)"
    }

    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// The canonical request and its signed header names (`a;b;c`).
    public static func canonicalRequest(_ request: Request) -> (String, String) {
        var grouped: [String: [String]] = [:]
        for (name, value) in request.headers { grouped[name.lowercased(), default: []].append(trimmed(value)) }
        let names = grouped.keys.sorted()
        let headerLines = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let pairs: [(String, String)] = request.query.map { (encode($0.name, slash: true), encode($0.value, slash: true)) }
        let sorted = pairs.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let query = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let path = request.path.isEmpty ? "/" : encode(request.path, slash: false)
        let signedNames = names.joined(separator: ";")
        return ([request.method, path, query, headerLines, signedNames, request.payloadHash].joined(separator: "\n"), signedNames)
    }

    public func stringToSign(canonicalRequest: String, timestamp: String) -> String {
        ["AWS4-HMAC-SHA256", timestamp, scope(day: String(timestamp.prefix(8))), Self.hexSHA256(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    public func signature(stringToSign: String, day: String) -> String {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    public static func hexSHA256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` in a path).
    public static func encode(_ text: String, slash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !slash:
                out.append("/")
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A header value as signed: outer spaces trimmed, inner runs of spaces made one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
