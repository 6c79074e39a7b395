import Testing
@testable import WeChatCallback

/// The signature and the safe-mode envelope against answers made with sha1sum and openssl (Vectors.swift).
@Suite struct SignatureAndCipherTests {
    let cipher = CallbackCipher(key: EncodingAESKey(Vectors.encodingAESKey)!, appID: Vectors.appID)

    @Test func theSignatureIsSHA1OfTheSortedParts() {
        let parts = [Vectors.token, Vectors.timestamp, Vectors.nonce]
        #expect(CallbackSignature.sign(parts) == Vectors.plainSignature)
        #expect(CallbackSignature.sign(parts.reversed()) == Vectors.plainSignature, "the order given does not matter")
        #expect(CallbackSignature.isValid(Vectors.plainSignature.uppercased(), for: parts))
        #expect(!CallbackSignature.isValid(Vectors.plainSignature, for: ["other-token", Vectors.timestamp, Vectors.nonce]))
        #expect(!CallbackSignature.isValid(String(Vectors.plainSignature.dropLast()), for: parts))
        #expect(!CallbackSignature.isValid("", for: parts))
        #expect(CallbackSignature.sign([Vectors.token, Vectors.timestamp, Vectors.nonce, Vectors.encrypted]) == Vectors.encryptedSignature)
    }

    @Test func openReadsWhatOpenSSLSealed() throws {
        #expect(try cipher.open(Vectors.encrypted) == Array(Vectors.message.utf8), "28 bytes of padding removed")
        #expect(try cipher.open(Vectors.encryptedEcho) == Array(Vectors.echo.utf8))
    }

    @Test func sealGivesTheSameBytesAsOpenSSL() throws {
        #expect(try cipher.seal(Array(Vectors.message.utf8), random: Vectors.lead) == Vectors.encrypted)
        #expect(try cipher.seal(Array(Vectors.echo.utf8), random: Vectors.lead) == Vectors.encryptedEcho)
        for size in [0, 1, 11, 12, 43, 44, 4000] {  // every padding length shows up across these
            let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            #expect(try cipher.open(cipher.seal(message)) == message)
        }
    }

    @Test func anotherAppIDIs403() throws {
        #expect(throws: CallbackRejection(.forbidden, "the message is sealed for another appid")) { try cipher.open(Vectors.echoForAnotherAppID) }
        let other = CallbackCipher(key: EncodingAESKey(Vectors.encodingAESKey)!, appID: "wxOTHER0000000000")
        #expect(try other.open(Vectors.echoForAnotherAppID) == Array(Vectors.echo.utf8))
        #expect(throws: CallbackRejection.self) { try other.open(Vectors.encryptedEcho) }
    }

    @Test func malformedEnvelopesAre400() {
        for bad in [Vectors.padTooLong, Vectors.padZero, Vectors.padInconsistent, "not base64!", "", "QUJDREVGR0hJSktMTU5PUA==",
                    String(Vectors.encrypted.dropLast(4))] {
            do {
                _ = try cipher.open(bad)
                Issue.record("opened \(bad.prefix(20))")
            } catch {
                #expect(error.status == .badRequest, "\(bad.prefix(20)): \(error)")
            }
        }
        // The right envelope under another key: its padding does not check out (or, rarely, its length or appid).
        let wrongKey = CallbackCipher(key: EncodingAESKey("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg")!, appID: Vectors.appID)
        #expect(throws: CallbackRejection.self) { try wrongKey.open(Vectors.encrypted) }
    }

    @Test func theKeyIs43CharactersOfBase64() {
        #expect(EncodingAESKey(Vectors.encodingAESKey) != nil)
        #expect(EncodingAESKey(Vectors.encodingAESKey + "\n") != nil, "a file's newline is fine")
        for bad in ["", String(Vectors.encodingAESKey.dropLast()), Vectors.encodingAESKey + "A", "!" + Vectors.encodingAESKey.dropFirst()] {
            #expect(EncodingAESKey(bad) == nil, "\(bad)")
        }
        #expect(!"\(EncodingAESKey(Vectors.encodingAESKey)!)".contains("abcdef"))
    }
}
