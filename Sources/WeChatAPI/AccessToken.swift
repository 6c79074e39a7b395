/// An access token with its generation. Its description never shows the value.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    /// Increases by one each time the provider installs a token; a 40001 only drops the generation it saw.
    public let generation: Int
    /// When the server says it expires (`.infinity` when unknown, as for a token file).
    public let expiresAt: Double
    /// When to fetch the next one ahead of expiry.
    public let refreshAt: Double

    public init(value: String, generation: Int, expiresAt: Double, refreshAt: Double) {
        self.value = value
        self.generation = generation
        self.expiresAt = expiresAt
        self.refreshAt = refreshAt
    }

    public var description: String { "AccessToken(generation: \(generation), <redacted>)" }
    public var debugDescription: String { description }
}

/// What a token fetch returns: the value and its lifetime in seconds (nil when unknown).
public struct FetchedToken: Sendable {
    public var value: String
    public var expiresIn: Double?
    public init(value: String, expiresIn: Double?) {
        self.value = value
        self.expiresIn = expiresIn
    }
}

/// Where tokens come from: the stable endpoint, the classic one, or a file kept by a central service.
public protocol TokenFetcher: Sendable {
    func fetchToken() async throws -> FetchedToken
}

/// What API calls use: a current token, and a way to say "the server rejected this one".
public protocol AccessTokenSource: Sendable {
    func token() async throws -> AccessToken
    /// Drops `token` if it is still the current one; a rejection of an older generation changes nothing.
    func invalidate(_ token: AccessToken) async
}
