import Foundation

/// Every knob, counter, token and item of one simulator. The HTTP routes and the control route go through it;
/// being an actor, it is the only guard of that state. Bodies are streamed outside it.
public actor SimulatorState {
    /// The knobs a request reads once, at its start.
    struct Knobs: Sendable {
        var rangeSupport: Bool
        var contentLength: Bool
        var headSupport: Bool
        var latency: Duration
        var bandwidth: Int?
        var tokenTTL: Int
        var videoDirect: Bool
        var videoURLTTL: Int
        var rangeCap: Int?
        var unknownTotal: Bool
        /// Calls a day to media/get, media/get/jssdk and media/upload each (then 45009).
        var dailyLimit: Int
    }

    let appID: String
    let appSecret: String
    let ipWhitelist: [String]?
    /// Seconds since 1970; injectable so token expiry can be tested without sleeping.
    let now: @Sendable () -> Double
    var knobs: Knobs
    var table: [SimEndpoint: EndpointCounters] = [:]
    var pendingFaults: [SimEndpoint: [(fault: SimFault, remaining: Int)]] = [:]
    var armedVideo404: [(seconds: Double, remaining: Int)] = []
    /// Faults at a rate (see SimChaos.swift); nil: none.
    var chaos: ChaosSettings?
    var chaosDraws = 0
    /// Faults given so far, queued or drawn, by control name.
    var injectedFaults: [String: Int] = [:]
    var tokens = TokenBook()
    var mediaItems: [String: SimItem] = [:]   // media/get: image, voice, video, thumb
    var hdItems: [String: SimItem] = [:]      // media/get/jssdk: hd (the same id may be in both)
    var cdnEntries: [String: CDNEntry] = [:]
    /// When `cdnEntries` grows to this size, entries that can no longer be served are swept (see +CDN).
    var cdnSweepAt = 1024
    /// Signs the video_urls; its secret is random per simulator, so URLs of another run never verify.
    let cdnSigner = CDNSigner()
    var lastUploadRecord: UploadRecord?
    /// Calls served per API on the current quota day (see +Quota).
    var daily = DailyQuotaBook()

    init(configuration: SimulatorConfiguration, items: [SimItem],
         now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        appID = configuration.appID
        appSecret = configuration.appSecret
        ipWhitelist = configuration.ipWhitelist
        self.now = now
        knobs = Knobs(rangeSupport: configuration.rangeSupport, contentLength: configuration.contentLength,
                      headSupport: configuration.headSupport, latency: configuration.latency,
                      bandwidth: configuration.bandwidth, tokenTTL: configuration.tokenTTL,
                      videoDirect: configuration.videoDirect, videoURLTTL: configuration.videoURLTTL,
                      rangeCap: configuration.rangeCap.map { max($0, 1) }, unknownTotal: configuration.unknownTotal,
                      dailyLimit: max(0, configuration.dailyLimit))
        for item in items {
            if item.kind == .hd { hdItems[item.id] = item } else { mediaItems[item.id] = item }
        }
    }

    /// The next `count` calls of `endpoint` get `fault`. Injections queue up in order. A count of 0 takes back
    /// what is still queued for `endpoint` (of any fault), so a test can end a fault it did not use up.
    public func inject(_ fault: SimFault, endpoint: SimEndpoint, count: Int) {
        guard count > 0 else {
            pendingFaults[endpoint] = nil
            if case .video404 = fault { armedVideo404.removeAll() }
            return
        }
        if case .video404(let seconds) = fault {
            armedVideo404.append((seconds, count))
        } else {
            pendingFaults[endpoint, default: []].append((fault, count))
        }
    }

    public func counters() -> [SimEndpoint: EndpointCounters] {
        var all = table
        for endpoint in SimEndpoint.allCases where all[endpoint] == nil {
            all[endpoint] = EndpointCounters()
        }
        return all
    }

    public func resetCounters() { table = [:] }

    public func set(rangeSupport: Bool) { knobs.rangeSupport = rangeSupport }
    public func set(contentLength: Bool) { knobs.contentLength = contentLength }
    public func set(headSupport: Bool) { knobs.headSupport = headSupport }
    public func set(latency: Duration) { knobs.latency = latency }
    public func set(bandwidth: Int?) { knobs.bandwidth = bandwidth.map { max($0, 1) } }
    public func set(tokenTTL: Int) { knobs.tokenTTL = tokenTTL }
    public func set(videoDirect: Bool) { knobs.videoDirect = videoDirect }
    /// Applies to URLs issued from now on; those already issued keep the expiry signed into them.
    public func set(videoURLTTL: Int) { knobs.videoURLTTL = videoURLTTL }
    /// nil lifts the cap; a cap below 1 byte is raised to 1 (an empty 206 would be no answer at all).
    public func set(rangeCap: Int?) { knobs.rangeCap = rangeCap.map { max($0, 1) } }
    public func set(unknownTotal: Bool) { knobs.unknownTotal = unknownTotal }
    /// The daily limit of media/get, media/get/jssdk and media/upload; calls already made today stay counted.
    public func set(dailyLimit: Int) { knobs.dailyLimit = max(0, dailyLimit) }

    func currentKnobs() -> Knobs { knobs }

    /// Takes the fault due for this call of `endpoint`, if any: a queued one, else one drawn by chaos.
    func takeFault(for endpoint: SimEndpoint) -> SimFault? {
        guard var queue = pendingFaults[endpoint], !queue.isEmpty else {
            let drawn = drawChaos(for: endpoint)
            if let drawn { countInjected(drawn) }
            return drawn
        }
        let fault = queue[0].fault
        countInjected(fault)
        queue[0].remaining -= 1
        if queue[0].remaining <= 0 { queue.removeFirst() }
        pendingFaults[endpoint] = queue
        return fault
    }

    func record(_ endpoint: SimEndpoint, requests: Int = 0, bytes: Int64 = 0) {
        table[endpoint, default: EndpointCounters()].requests += requests
        table[endpoint, default: EndpointCounters()].bytes += bytes
    }
}
