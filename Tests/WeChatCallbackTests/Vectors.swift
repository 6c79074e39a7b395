/// Known answers made outside the code under test, with coreutils and OpenSSL (the commands are beside each):
///
///     sign() { printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum; }
///     KEYHEX=$(printf '%s=' abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG | base64 -d | xxd -p -c 64); IVHEX=${KEYHEX:0:32}
///     # plaintext: 16 bytes "0123456789abcdef", the message length (4 bytes, big-endian), the message, the appid,
///     # then N bytes of value N up to a multiple of 32, written with printf; then
///     openssl enc -aes-256-cbc -nopad -K $KEYHEX -iv $IVHEX -in plain.bin | base64 -w0
enum Vectors {
    static let token = "wxmediafs-test-token"
    static let timestamp = "1786000000"
    static let nonce = "1320562132"
    static let appID = "wx5e1a0c0ffee00001"
    static let encodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    static let lead = Array("0123456789abcdef".utf8)

    /// sign wxmediafs-test-token 1786000000 1320562132
    static let plainSignature = "af07ee3eb022cc49ea658cdccb90168ea5c3e169"

    /// 222 bytes; with the lead, length and appid 260, so 28 bytes of padding (more than AES's 16).
    static let message = "<xml><FromUserName><![CDATA[oSender]]></FromUserName><CreateTime>1786000000</CreateTime>"
        + "<MsgType><![CDATA[image]]></MsgType><MediaId><![CDATA[Image_id_1_abcdefghijklmnopqrs]]></MediaId>"
        + "<MsgId>1234567890123456</MsgId></xml>"
    static let encrypted = "Q3stYC6hdFzMh9T8HCvyDNhWYEhqYAzem8BtWS3Q0ijxvuqDtHr2gPNp/Y5gdlUF967XxbbZt+KipwmbIZWQTCg0bVc/QF3KXLIA0So/C6u6"
        + "TZ4HTm9Kg+4Ec/qZWOfExT0bfEY7XQvqQqzUWKnZVc2cBRldX7bQAKor1jniun47O/1Hb7PiQqxpIBZT7M0jhTU/jHKj6sZrkZWOcYsrp7XW62x8"
        + "R3Sl/cIvAL4Do6TLwSKq8vYRu8+Nv4XxgL/3eG6oA8JNGjMknR8NKZH29lGaExei0nTh6oFJa8whUmSH6B2pjKn5qoFCYieczxHyuS8iXKAMG8zN"
        + "YhVAAVhQDey4ZGoa1DGXxB7Nh+El8jVBI7TQT48VgwjxS3YTMFR9"
    /// sign wxmediafs-test-token 1786000000 1320562132 "$encrypted"
    static let encryptedSignature = "f2b8f2a5496596f7450eba76e3a9263b24dfdd63"

    /// "echo-1234567890" sealed for appID (11 bytes of padding), and for wxOTHER0000000000.
    static let echo = "echo-1234567890"
    static let encryptedEcho = "Q3stYC6hdFzMh9T8HCvyDFnFQNDtYthGL9xKtlD2z9tt+ZR/kX71TaUA99DiI/o3BLo+M4kOVSA2p/dq1Vu1Ag=="
    static let encryptedEchoSignature = "549e5aabcef6781b262469eceb71e52ba1b1dea2"
    static let echoForAnotherAppID = "Q3stYC6hdFzMh9T8HCvyDFnFQNDtYthGL9xKtlD2z9skvyQnO94Br3hNQC0RO5dwKtXJCLIWE2vPUVPwiVdFrA=="

    /// 63 × "A" then a last byte of 0x21 (33, more than 32), 0x00, or "\x01\x02" (a pad of 2 whose other byte is 1).
    static let padTooLong = "eCyIe0+uiijGBq44Xutxnr6G72TSOawpmxbNkgibskbh5K8RAmDDPzott4pMMRyrRng3t60ack2T7ngkA/5Ovg=="
    static let padZero = "eCyIe0+uiijGBq44Xutxnr6G72TSOawpmxbNkgibskbh5K8RAmDDPzott4pMMRyry19snwGVTBYBUtlLd6JjcA=="
    static let padInconsistent = "eCyIe0+uiijGBq44Xutxnr6G72TSOawpmxbNkgibskbh5K8RAmDDPzott4pMMRyrC2k5GL0aNmQUuSBSMT4lzw=="
}
