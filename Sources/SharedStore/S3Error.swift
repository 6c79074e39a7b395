/// What went wrong with the shared store, in the terms a caller acts on; never a credential in the message.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Settings that cannot work (a malformed bucket, endpoint or region; no credentials).
        case configuration
        /// 403: wrong credentials, a wrong signature, or no right to the bucket.
        case accessDenied
        /// The bucket does not exist.
        case noSuchBucket
        /// A conditional write found the object there already (412).
        case exists
        /// 409: a concurrent conditional write is under way (it may still fail): neither there nor not.
        case conflict
        /// The caller gave up (an interrupted read): nothing said about the store.
        case cancelled
        /// The store answered 5xx or 503 SlowDown: try again later.
        case unavailable
        /// No answer (refused, reset, timed out).
        case transport
        /// An answer that is not what S3 answers.
        case badResponse
        /// Any other status, with S3's error code.
        case other(status: Int)
    }

    public let kind: Kind
    public let message: String
    /// S3's `<Code>` when it sent one.
    public let code: String?

    public init(_ kind: Kind, _ message: String, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { message }

    /// An error answer: its status and, when the body is S3's XML error, its code and message.
    static func answer(status: Int, body: [UInt8], operation: String) -> S3Error {
        let parsed = S3XML.error(body)
        let code = parsed?.code
        let detail = parsed.map { ": \($0.code)\($0.message.isEmpty ? "" : " (\($0.message))")" } ?? ""
        let kind: Kind
        switch (status, code) {
        case (_, "NoSuchBucket"): kind = .noSuchBucket
        case (403, _): kind = .accessDenied
        case (412, _): kind = .exists
        case (409, _): kind = .conflict
        case (500..., _): kind = .unavailable
        default: kind = .other(status: status)
        }
        return S3Error(kind, "the shared store answered \(operation) with HTTP \(status)\(detail)", code: code)
    }
}
