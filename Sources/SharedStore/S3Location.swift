import Foundation

/// Where the shared store is: an endpoint (`https://s3.amazonaws.com`, `http://127.0.0.1:8333`), a bucket, a key
/// prefix inside it, a region, and whether the bucket goes in the path (`/bucket/key`: MinIO, SeaweedFS, Ceph) or
/// in the host name (`bucket.host`: AWS, COS).
public struct S3Location: Sendable, Equatable {
    public let scheme: String
    public let host: String
    public let port: Int?
    public let bucket: String
    public let prefix: String
    public let region: String
    public let pathStyle: Bool

    /// `shared_cache = "s3://BUCKET/PREFIX"` and `s3_endpoint`; nil with the reason when either is malformed.
    public static func parse(sharedCache: String, endpoint: String, region: String, pathStyle: Bool) -> Result<S3Location, S3Error> {
        guard sharedCache.hasPrefix("s3://") else { return .failure(S3Error(.configuration, "shared_cache must look like s3://BUCKET/PREFIX")) }
        let rest = sharedCache.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        guard isBucketName(bucket) else { return .failure(S3Error(.configuration, "shared_cache names no valid bucket (3-63 of a-z 0-9 . -)")) }
        var prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { prefix += "/" }
        guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil else {
            return .failure(S3Error(.configuration, "s3_endpoint must be http(s)://HOST[:PORT] with no path"))
        }
        guard !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            return .failure(S3Error(.configuration, "s3_region must be a region name such as us-east-1"))
        }
        return .success(S3Location(scheme: scheme, host: host, port: url.port, bucket: bucket, prefix: prefix, region: region, pathStyle: pathStyle))
    }

    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.count) && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x2d }
            && name.first != "." && name.first != "-"
    }

    /// The Host header: the endpoint's host (the bucket's sub-domain in virtual-host style), with its port when not
    /// the scheme's default.
    public var hostHeader: String {
        let name = pathStyle ? host : "\(bucket).\(host)"
        guard let port, port != (scheme == "https" ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    /// The request path of an object key (the bucket's root for ""), decoded: the signer and the URL encode it.
    public func path(_ key: String) -> String { pathStyle ? "/\(bucket)/\(key)" : "/\(key)" }

    /// The URL of a request, its path and query encoded as the signature has them.
    func url(path: String, query: [(name: String, value: String)]) -> String {
        let encodedQuery = query.map { "\(SigV4.encode($0.name, slash: true))=\(SigV4.encode($0.value, slash: true))" }.joined(separator: "&")
        return "\(scheme)://\(hostHeader)\(SigV4.encode(path, slash: false))\(encodedQuery.isEmpty ? "" : "?" + encodedQuery)"
    }
}
