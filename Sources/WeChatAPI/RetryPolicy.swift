/// Bounded, jittered exponential backoff. `attempts` counts every try, the first included.
///
/// One policy for media calls and token fetches alike: a token endpoint that answers -1 is as busy as
/// media/get, and both must give up after the same bounded time.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// How long a fresh `video_url` may answer 404 before we give up.
    public var videoNotReadyWindow: Double
    /// After a background refresh-ahead gave up, how long the current (still valid) token is used before the
    /// next refresh is tried. Without it every call in the refresh window would start a new series of fetches
    /// against a struggling token endpoint (whose daily quota is about 2000).
    public var tokenRefreshPause: Double

    public init(attempts: Int = 4, baseDelay: Double = 0.25, maxDelay: Double = 4, videoNotReadyWindow: Double = 10,
                tokenRefreshPause: Double = 30) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.videoNotReadyWindow = videoNotReadyWindow
        self.tokenRefreshPause = tokenRefreshPause
    }

    /// The pause before retry number `retry` (1-based): full delay halved at random, never above `maxDelay`.
    public func delay(beforeRetry retry: Int, category: WeChatErrorCategory) -> Double {
        let floor = category == .minuteQuota ? 1.0 : 0
        let exponential = min(maxDelay, baseDelay * Double(1 << min(retry - 1, 16)))
        return max(floor, exponential * Double.random(in: 0.5...1.0))
    }

    /// The pause before retry number `retry` (1-based) after `error`, or nil when there is to be no retry:
    /// the error is not a retryable `WeChatError` (bad credentials, IP not whitelisted, …) or the bound is reached.
    public func pause(after error: any Error, beforeRetry retry: Int) -> Double? {
        guard let error = error as? WeChatError, error.category.isRetryable, retry < attempts else { return nil }
        return delay(beforeRetry: retry, category: error.category)
    }
}
