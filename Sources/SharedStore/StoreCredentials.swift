import Foundation

/// An access key for the shared store, from the standard AWS variables or an AWS-format credentials file, never
/// from argv; no description of this type shows the secret or the session token.
public struct StoreCredentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    package let secretAccessKey: String
    package let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        "StoreCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }
}
