import AsyncHTTPClient
import Logging
import NIOCore

/// The real API client: downloads and uploads with a token source, a retry policy and a clock.
public struct MediaClient: MediaDownloading, MediaUploading {
    public let apiBase: String
    public let tokens: any AccessTokenSource
    let clock: any APIClock
    let retry: RetryPolicy
    let logger: Logger
    /// AsyncHTTPClient's deadline of a request: it covers an upload's whole exchange, but of a download only the
    /// wait for the answer's head (where `--timeout`, shorter, is what counts); a download's body is bounded by
    /// the idle read timeout alone.
    let transferDeadline: TimeAmount
    /// Longest wait for an answer's head (`--timeout`; the body's stalls are the HTTP client's read timeout,
    /// `APITimeouts`). AsyncHTTPClient's per-request deadline covers only the wait for the head.
    let idleTimeout: TimeAmount
    public let counters: APICounters
    /// Today's calls per API and the daily limit (`max_calls_per_day`); nil: not counted by day.
    public let quota: QuotaLedger?
    /// The HTTP client every call of this client goes through (downloads, uploads, quota): the process-wide one
    /// unless another is given (a test injects one with a short connect timeout, or one it can shut down).
    public var http: HTTPClient = APIHTTP.client

    public init(apiBase: String, tokens: any AccessTokenSource, clock: any APIClock = SystemClock(),
                retry: RetryPolicy = RetryPolicy(), transferDeadline: TimeAmount = .hours(1), idleTimeout: TimeAmount = .seconds(30),
                counters: APICounters = APICounters(), quota: QuotaLedger? = nil, logger: Logger) {
        self.counters = counters
        self.quota = quota
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.tokens = tokens
        self.clock = clock
        self.retry = retry
        self.transferDeadline = transferDeadline
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// New tokens a call may try after its token is rejected (40001/40014/42001).
    static let tokenRefreshesPerCall = 2

    /// Runs `call` with a token; on 40001/40014/42001 drops that token (if still current), gets one again
    /// and retries, at most `tokenRefreshesPerCall` times. Other errors are retried with backoff when `resend`
    /// allows it.
    func withRetries<T>(_ what: String, resend: ResendRule = .whenRetryable,
                        _ call: (AccessToken) async throws -> T) async throws -> T {
        try await withLazyRetries(what, resend: resend) { token in try await call(try await token.value()) }
    }

    /// `withRetries` for a call that may need no token at all (a read of a kept video_url): the token is fetched
    /// only when the call asks for it, so a token outage does not fail what the CDN alone can serve.
    func withLazyRetries<T>(_ what: String, resend: ResendRule = .whenRetryable,
                            _ call: (LazyToken) async throws -> T) async throws -> T {
        var tokenRetries = 0
        var retries = 0
        while true {
            let token = LazyToken(tokens)
            let error: WeChatError
            let unsent: Bool
            do {
                return try await call(token)
            } catch let failure as TokenFetchFailure {
                throw failure.error  // as before the token became lazy: the token source retried on its own
            } catch let failure as UnsentRequest {
                (error, unsent) = (failure.error, true)
            } catch let failure as WeChatError {
                (error, unsent) = (failure, false)
            }
            counters.error(error)
            // A call that timed out already waited `--timeout`: the read gets ETIMEDOUT now, not after more waits.
            if error.category == .timeout { throw error }
            if error.category == .tokenInvalid, let used = token.fetched {
                await tokens.invalidate(used)
                // Twice at most: a token the server revokes again right after issuing it is churn (another host
                // refreshing, a rotation), not a credential problem, which shows up in the token fetch itself.
                if tokenRetries < Self.tokenRefreshesPerCall {
                    tokenRetries += 1
                    logger.info("\(what): token rejected (\(error.shortDescription)), retry \(tokenRetries) with a new token")
                    continue
                }
                throw error
            }
            guard unsent || resend == .whenRetryable, let pause = retry.pause(after: error, beforeRetry: retries + 1) else {
                throw error
            }
            retries += 1
            logger.info("\(what): \(error.shortDescription)\(unsent ? " before sending" : ""), retry \(retries) in \(Int(pause * 1000)) ms")
            try await clock.sleep(seconds: pause)
        }
    }

    /// A token fetched on first use, for one try of a call (`withLazyRetries`).
    final class LazyToken: @unchecked Sendable {  // one try, one task
        private let source: any AccessTokenSource
        private(set) var fetched: AccessToken?

        init(_ source: any AccessTokenSource) { self.source = source }

        func value() async throws -> AccessToken {
            if let fetched { return fetched }
            let token: AccessToken
            do { token = try await source.token() } catch { throw TokenFetchFailure(error: error) }
            fetched = token
            return token
        }
    }

    /// A token that could not be fetched, passed through `withLazyRetries` untouched.
    struct TokenFetchFailure: Error { let error: any Error }

    /// Counts a call about to be sent (APICounters and today's ledger); throws `DailyLimitReached` instead,
    /// with nothing sent, once the day's limit is spent. Not a `WeChatError`: `withRetries` lets it through
    /// untouched (no retry, no error count).
    func countCall(_ endpoint: String) throws(DailyLimitReached) {
        try quota?.admit(endpoint)
        counters.call(endpoint)
    }

    /// The deadline of one request: the answer's head must come within the idle timeout.
    var headDeadline: TimeAmount { min(transferDeadline, idleTimeout) }
    /// A download's first wait for an answer's head: half the deadline, so one retry after a stall fits in it.
    var stallDeadline: TimeAmount { .nanoseconds(headDeadline.nanoseconds / 2) }
    /// What is left for the retry after a stall.
    var stallBudget: TimeAmount { .nanoseconds(headDeadline.nanoseconds - stallDeadline.nanoseconds) }

    func mediaURL(_ request: MediaRequest, token: AccessToken) -> String {
        "\(apiBase)/cgi-bin/\(request.endpoint)?access_token=\(token.value.queryEscaped)&media_id=\(request.id.rawValue)"
    }
}
