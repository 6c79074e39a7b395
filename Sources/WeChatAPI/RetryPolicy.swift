/// Bounded, jittered exponential backoff. `attempts` counts every try, the first included.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// How long a fresh `video_url` may answer 404 before we give up.
    public var videoNotReadyWindow: Double

    public init(attempts: Int = 4, baseDelay: Double = 0.25, maxDelay: Double = 4, videoNotReadyWindow: Double = 10) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.videoNotReadyWindow = videoNotReadyWindow
    }

    /// The pause before retry number `retry` (1-based): full delay halved at random, never above `maxDelay`.
    public func delay(beforeRetry retry: Int, category: WeChatErrorCategory) -> Double {
        let floor = category == .minuteQuota ? 1.0 : 0
        let exponential = min(maxDelay, baseDelay * Double(1 << min(retry - 1, 16)))
        return max(floor, exponential * Double.random(in: 0.5...1.0))
    }
}
