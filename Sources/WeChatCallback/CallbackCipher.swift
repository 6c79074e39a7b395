import _CryptoExtras
import Crypto
import Foundation

/// Safe mode's envelope (WeChat's "message encryption and decryption" scheme): base64 of AES-256-CBC, with the
/// EncodingAESKey's key and IV, over `16 random bytes ‖ message length (4 bytes, big-endian) ‖ message ‖ appid`,
/// padded PKCS#7-style to a multiple of **32** bytes. swift-crypto's CBC pads to 16, so it runs without padding
/// and the 32-byte padding is added and checked here. The appid inside must be ours: a message for another
/// account, even one sealed with the same key, is refused.
public struct CallbackCipher: Sendable {
    static let blockSize = 32
    static let randomSize = 16

    let key: EncodingAESKey
    /// The appid a message must carry.
    public let appID: String

    public init(key: EncodingAESKey, appID: String) {
        self.key = key
        self.appID = appID
    }

    /// The message inside `encrypted` (the `Encrypt` field or an encrypted `echostr`).
    /// 400 for what is not a well-formed envelope; 403 for one sealed for another appid.
    public func open(_ encrypted: String) throws(CallbackRejection) -> [UInt8] {
        guard let ciphertext = Data(base64Encoded: encrypted.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CallbackRejection(.badRequest, "Encrypt is not base64")
        }
        guard ciphertext.count >= Self.blockSize, ciphertext.count % 16 == 0 else {
            throw CallbackRejection(.badRequest, "Encrypt is not whole AES blocks (\(ciphertext.count) bytes)")
        }
        let plain: [UInt8]
        do {
            plain = Array(try AES._CBC.decrypt(ciphertext, using: key.key, iv: AES._CBC.IV(ivBytes: key.iv), noPadding: true))
        } catch {
            throw CallbackRejection(.badRequest, "Encrypt does not decrypt")
        }
        guard let pad = plain.last, (1...UInt8(Self.blockSize)).contains(pad), plain.suffix(Int(pad)).allSatisfy({ $0 == pad }) else {
            throw CallbackRejection(.badRequest, "Encrypt has bad padding (wrong EncodingAESKey?)")
        }
        let content = plain[Self.randomSize..<(plain.count - Int(pad))]
        guard content.count >= 4 else { throw CallbackRejection(.badRequest, "Encrypt is too short for a message") }
        let length = content.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        let message = content.dropFirst(4)
        guard length <= message.count else { throw CallbackRejection(.badRequest, "Encrypt's message length is past its end") }
        guard message.dropFirst(length).elementsEqual(appID.utf8) else {
            throw CallbackRejection(.forbidden, "the message is sealed for another appid")
        }
        return Array(message.prefix(length))
    }

    /// The envelope of `message` (what WeChat sends; the tests' counterpart of `open`). `random`: the 16 bytes
    /// that lead the plaintext, fresh ones unless a test pins them.
    public func seal(_ message: [UInt8], random: [UInt8]? = nil) throws -> String {
        let lead = random ?? (0..<Self.randomSize).map { _ in UInt8.random(in: .min ... .max) }
        precondition(lead.count == Self.randomSize, "16 random bytes lead the plaintext")
        let length = UInt32(message.count)
        var plain = lead + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + message + Array(appID.utf8)
        let pad = Self.blockSize - plain.count % Self.blockSize
        plain += Array(repeating: UInt8(pad), count: pad)
        return try AES._CBC.encrypt(plain, using: key.key, iv: AES._CBC.IV(ivBytes: key.iv), noPadding: true).base64EncodedString()
    }
}
