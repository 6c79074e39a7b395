/// The signature `s` of a video_url: a keyed hash of (key, e) under a secret random per simulator, as CDNs sign
/// their links. FNV-1a is no MAC, but the simulator only needs an edited `e` (or key) to be detectable, and the
/// hash stays dependency-free and stable.
struct CDNSigner: Sendable {
    let secret: String

    init(secret: String = MediaID.randomString(count: 32, from: MediaID.alphabet)) {
        self.secret = secret
    }

    /// 16 lower-case hex digits.
    func signature(key: String, expires: Int64) -> String {
        let hash = StableHash.fnv1a("\(secret)/cdn/\(key)?e=\(expires)")
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
