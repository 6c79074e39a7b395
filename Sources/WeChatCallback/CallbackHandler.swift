import Crypto
import WeChatAPI

/// WeChat's message push, checked and recorded, free of HTTP types (the CLI's CallbackServer is the HTTP part):
/// - `GET` is the URL verification: `signature` over `[token, timestamp, nonce]` answers `echostr` as given; in
///   safe mode `msg_signature` over the encrypted `echostr` too answers it decrypted.
/// - `POST` is a follower's message: plain mode checks `signature` before reading the body at all; safe mode
///   (an EncodingAESKey set) reads the envelope, checks `msg_signature` over its `Encrypt`, opens it and checks
///   the appid inside. With a key set, safe mode is the only mode: a push without a valid `msg_signature` is
///   refused (403) even if its plain `signature` is valid, since WeChat sends that one on safe-mode pushes too
///   and it does not cover the body. Compatible mode (plain fields and `Encrypt` side by side) is read as safe
///   mode. One `<xml>` message a push; its media are handed to `record` and the answer is `success`; a message
///   without media (text, an event) is `success` too.
/// - Each `(timestamp, nonce)` is accepted once within the window (ReplayGuard): a captured URL carries no
///   second body. Every field is range-checked by the parser; CreateTime must be within three days before the
///   push's timestamp and at most 300 s after it.
/// Every refusal is a `CallbackRejection`: 400 for what is malformed or missing, 403 for a bad signature, a
/// replay, a timestamp outside the window or another appid, 413 for a body over the limit, 500 if recording
/// failed (WeChat then pushes again). The XML goes through FollowerMessageParser's limits (no DTD, depth, size, UTF-8).
public struct CallbackHandler: Sendable {
    public let configuration: CallbackConfiguration
    let clock: any APIClock
    let record: @Sendable ([FollowerMessage]) throws -> Void
    let replays: ReplayGuard

    public init(configuration: CallbackConfiguration, clock: any APIClock = SystemClock(),
                record: @escaping @Sendable ([FollowerMessage]) throws -> Void) {
        self.configuration = configuration
        self.clock = clock
        self.record = record
        replays = ReplayGuard(window: configuration.window)
    }

    public func handle(_ request: CallbackRequest) throws(CallbackRejection) -> CallbackAnswer {
        switch request.method {
        case .get: try verifyURL(request.query)
        case .post: try receive(request)
        case .other: throw CallbackRejection(.methodNotAllowed, "only GET (URL verification) and POST (messages)")
        }
    }

    private func verifyURL(_ query: [String: String]) throws(CallbackRejection) -> CallbackAnswer {
        let (timestamp, nonce) = try stamp(query)
        guard let echo = query["echostr"], !echo.isEmpty else { throw CallbackRejection(.badRequest, "no echostr") }
        if let cipher = configuration.cipher, let signature = query["msg_signature"] {
            try check(signature, [configuration.token, timestamp, nonce, echo], "msg_signature")
            guard let text = String(validating: try cipher.open(echo), as: UTF8.self) else {
                throw CallbackRejection(.badRequest, "the decrypted echostr is not UTF-8")
            }
            return CallbackAnswer(body: text)
        }
        try check(query["signature"], [configuration.token, timestamp, nonce], "signature")
        return CallbackAnswer(body: echo)
    }

    private func receive(_ request: CallbackRequest) throws(CallbackRejection) -> CallbackAnswer {
        guard request.body.count <= configuration.bodyLimit else {
            throw CallbackRejection(.contentTooLarge, "a body over \(configuration.bodyLimit) bytes")
        }
        let (timestamp, nonce) = try stamp(request.query)
        let message: [UInt8]
        if let cipher = configuration.cipher {
            guard let signature = request.query["msg_signature"] else {
                throw CallbackRejection(.forbidden, "no msg_signature: safe mode (an EncodingAESKey is set) takes encrypted pushes only")
            }
            let envelope = try document(request.body)
            guard let encrypted = envelope["Encrypt"], !encrypted.isEmpty else { throw CallbackRejection(.badRequest, "no Encrypt in a safe-mode push") }
            try check(signature, [configuration.token, timestamp, nonce, encrypted], "msg_signature")
            message = try cipher.open(encrypted)
        } else {
            try check(request.query["signature"], [configuration.token, timestamp, nonce], "signature")
            message = request.body
        }
        let seconds = Int64(timestamp) ?? 0  // checked by `stamp`
        let digest = Array(SHA256.hash(data: request.body))
        switch replays.claim(timestamp: seconds, nonce: nonce, digest: digest, now: clock.now()) {
        case .fresh, .again: break  // again: WeChat pushing the same again; its MsgId keeps it one message
        case .replay: throw CallbackRejection(.forbidden, "this timestamp and nonce were used already with another body (a replayed push)")
        case .full: throw CallbackRejection(.unavailable, "too many pushes within the window")
        }
        do throws(CallbackRejection) {
            return try accept(message, pushedAt: seconds)
        } catch {
            if error.status == .internalError { replays.release(timestamp: seconds, nonce: nonce) }
            throw error
        }
    }

    /// The message of a push whose signature checked: parsed, checked and recorded.
    private func accept(_ message: [UInt8], pushedAt timestamp: Int64) throws(CallbackRejection) -> CallbackAnswer {
        let fields = try document(message)
        guard fields["MsgType"].map({ !$0.isEmpty }) == true else {
            if fields["Encrypt"] != nil {
                throw CallbackRejection(.badRequest, "an encrypted (safe-mode) push, but no EncodingAESKey is set")
            }
            throw CallbackRejection(.badRequest, "a message without MsgType")
        }
        var problem: String?
        let messages = FollowerMessageParser.messages(in: [fields], createdWithin: FollowerMessageParser.plausibleTimes(pushedAt: timestamp)) {
            problem = problem ?? $0
        }
        if let problem { throw CallbackRejection(.badRequest, problem) }
        if !messages.isEmpty {
            do {
                try record(messages)
            } catch {
                throw CallbackRejection(.internalError, "cannot record the message: \(error)")
            }
        }
        return CallbackAnswer(body: "success", recorded: messages)
    }

    /// The one `<xml>` document of `bytes`, through the hardened parser.
    private func document(_ bytes: [UInt8]) throws(CallbackRejection) -> [String: String] {
        let documents: [[String: String]]
        do {
            documents = try FollowerMessageParser.documents(bytes)
        } catch {
            throw CallbackRejection(.badRequest, error.description)
        }
        guard documents.count == 1, let fields = documents.first else {
            throw CallbackRejection(.badRequest, "\(documents.count) <xml> documents: a push is one message")
        }
        return fields
    }

    /// `timestamp` and `nonce`, the timestamp within the window of now.
    private func stamp(_ query: [String: String]) throws(CallbackRejection) -> (String, String) {
        guard let timestamp = query["timestamp"], let nonce = query["nonce"] else {
            throw CallbackRejection(.badRequest, "timestamp and nonce are required")
        }
        guard let seconds = Int64(timestamp) else { throw CallbackRejection(.badRequest, "timestamp is not a number") }
        guard (1...64).contains(nonce.utf8.count) else { throw CallbackRejection(.badRequest, "a nonce of 1 to 64 characters is required") }
        guard abs(Double(seconds) - clock.now()) <= configuration.window else {
            throw CallbackRejection(.forbidden, "timestamp more than \(Int(configuration.window)) s from now (a replay, or a clock off)")
        }
        return (timestamp, nonce)
    }

    private func check(_ signature: String?, _ parts: [String], _ name: String) throws(CallbackRejection) {
        guard let signature, !signature.isEmpty else { throw CallbackRejection(.badRequest, "no \(name)") }
        guard CallbackSignature.isValid(signature, for: parts) else { throw CallbackRejection(.forbidden, "bad \(name)") }
    }
}
