/// What the callback checks a push with: the token set in WeChat's admin console (message push, "Token"), the
/// safe-mode cipher if an EncodingAESKey is set, how far a push's timestamp may be from now, and the largest
/// body read. Its description never shows the token or the key.
public struct CallbackConfiguration: Sendable, CustomStringConvertible {
    let token: String
    public var cipher: CallbackCipher?
    /// Seconds a timestamp may be behind or ahead of the clock; an older push is a replay.
    public var window: Double
    /// Bytes; WeChat's pushes are a few hundred, an encrypted one about 4/3 of that.
    public var bodyLimit: Int

    public static let defaultWindow: Double = 300
    public static let defaultBodyLimit = 64 << 10

    public init(token: String, cipher: CallbackCipher? = nil, window: Double = defaultWindow, bodyLimit: Int = defaultBodyLimit) {
        self.token = token
        self.cipher = cipher
        self.window = window
        self.bodyLimit = bodyLimit
    }

    public var description: String {
        "CallbackConfiguration(token: <redacted>, mode: \(cipher == nil ? "plain" : "safe"), window: \(window) s, bodyLimit: \(bodyLimit))"
    }
}
