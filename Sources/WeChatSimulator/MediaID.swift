/// Media ids and the other random strings the real server hands out.
enum MediaID {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// `[A-Za-z0-9_-]{1,128}`, the shape the filesystem accepts too.
    static func isWellFormed(_ id: some StringProtocol) -> Bool {
        (1...128).contains(id.utf8.count) && id.allSatisfy { $0.isASCII && alphabet.contains($0) }
    }

    /// A fresh id for an upload: 64 random characters.
    static func random() -> String {
        randomString(count: 64, from: alphabet)
    }

    /// A deterministic 64-character id derived from `name` (for generated items without an id).
    static func derived(from name: String) -> String {
        var state = StableHash.fnv1a(name)
        return String((0..<64).map { _ in alphabet[Int(StableHash.splitmix(&state) >> 58)] })
    }

    static func randomString(count: Int, from characters: [Character]) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
    }
}

/// Cheap deterministic hashing: FNV-1a to seed, splitmix64 to stream. Stable across runs and platforms.
enum StableHash {
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func splitmix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
