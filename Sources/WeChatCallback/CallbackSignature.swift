import Crypto

/// WeChat's signature of a push: the SHA-1, in lowercase hex, of its parts sorted and joined with nothing
/// between them. Plain mode signs `[token, timestamp, nonce]` (`signature`); safe mode adds the `Encrypt`
/// field or the encrypted `echostr` (`msg_signature`). The parts are sorted by their UTF-8 bytes, as WeChat's
/// own code (PHP's `sort`, Python's `sorted` on ASCII) orders them.
public enum CallbackSignature {
    public static func sign(_ parts: [String]) -> String {
        let joined = parts.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined()
        return Insecure.SHA1.hash(data: Array(joined.utf8)).map { hexDigits[Int($0 >> 4)] + hexDigits[Int($0 & 0xF)] }.joined()
    }

    /// Whether `signature` is the one `parts` give (case-insensitive, as hex is). The comparison takes the same
    /// time wherever the first difference is, so a prober learns nothing from the answer's timing.
    public static func isValid(_ signature: String, for parts: [String]) -> Bool {
        let expected = Array(sign(parts).utf8)
        let given = Array(signature.lowercased().utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    private static let hexDigits = "0123456789abcdef".map(String.init)
}
