import Crypto
import Foundation

/// The EncodingAESKey an Official Account's admin sets for safe mode: 43 characters of base64 without the final
/// `=`, which decode to the 32-byte AES-256 key; the IV is the key's first 16 bytes (WeChat's scheme). Its
/// description never shows it.
public struct EncodingAESKey: Sendable, CustomStringConvertible {
    let key: SymmetricKey
    let iv: [UInt8]

    /// nil for text that is not 43 characters of base64 giving 32 bytes (surrounding white space aside).
    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 43, let bytes = Data(base64Encoded: text + "="), bytes.count == 32 else { return nil }
        key = SymmetricKey(data: bytes)
        iv = Array(bytes.prefix(16))
    }

    public var description: String { "EncodingAESKey(<redacted>)" }
}
