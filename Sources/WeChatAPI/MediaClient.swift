import AsyncHTTPClient
import Logging
import NIOCore

/// The real API client: downloads and uploads with a token source, a retry policy and a clock.
public struct MediaClient: MediaDownloading {
    public let apiBase: String
    public let tokens: any AccessTokenSource
    let clock: any APIClock
    let retry: RetryPolicy
    let logger: Logger
    /// Upper bound for one download attempt (the idle read timeout of 30 s catches stalls sooner).
    let transferDeadline: TimeAmount
    public let counters: APICounters

    public init(apiBase: String, tokens: any AccessTokenSource, clock: any APIClock = SystemClock(),
                retry: RetryPolicy = RetryPolicy(), transferDeadline: TimeAmount = .hours(1),
                counters: APICounters = APICounters(), logger: Logger) {
        self.counters = counters
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.tokens = tokens
        self.clock = clock
        self.retry = retry
        self.transferDeadline = transferDeadline
        self.logger = logger
    }

    /// Runs `call` with a token; on 40001/40014/42001 drops that token (if still current), gets one again
    /// and retries exactly once. Other errors are retried with backoff when retryable.
    func withRetries<T>(_ what: String, _ call: (AccessToken) async throws -> T) async throws -> T {
        var tokenRetried = false
        var retries = 0
        while true {
            let token = try await tokens.token()
            do {
                return try await call(token)
            } catch let error as WeChatError {
                counters.error(error)
                if error.category == .tokenInvalid {
                    await tokens.invalidate(token)
                    if !tokenRetried {
                        tokenRetried = true
                        logger.info("\(what): token rejected (\(error.shortDescription)), retrying once with a new token")
                        continue
                    }
                    throw error
                }
                guard error.category.isRetryable, retries + 1 < retry.attempts else { throw error }
                retries += 1
                let pause = retry.delay(beforeRetry: retries, category: error.category)
                logger.info("\(what): \(error.shortDescription), retry \(retries) in \(Int(pause * 1000)) ms")
                try await clock.sleep(seconds: pause)
            }
        }
    }

    func mediaURL(_ request: MediaRequest, token: AccessToken) -> String {
        "\(apiBase)/cgi-bin/\(request.endpoint)?access_token=\(token.value.queryEscaped)&media_id=\(request.id.rawValue)"
    }
}
