/// The body of `POST /__sim/config` (any subset) and its answer (every knob). `"bandwidth": null` lifts the cap,
/// and so does `"rangeCap": null`.
struct ConfigCommand: Codable {
    var range: Bool?
    var contentLength: Bool?
    var head: Bool?
    var latencyMs: Int?
    /// nil = not given; .some(nil) = unlimited.
    var bandwidth: Int??
    var tokenTTL: Int?
    var videoDirect: Bool?
    /// Seconds; applies to video_urls issued afterwards.
    var videoURLTTL: Int?
    /// nil = not given; .some(nil) = no cap.
    var rangeCap: Int??
    var unknownTotal: Bool?
    /// Calls a day to each of media/get, media/get/jssdk and media/upload.
    var dailyLimit: Int?

    enum CodingKeys: String, CodingKey {
        case range, contentLength, head, latencyMs, bandwidth, tokenTTL, videoDirect, videoURLTTL, rangeCap, unknownTotal, dailyLimit
    }

    init(_ knobs: SimulatorState.Knobs) {
        range = knobs.rangeSupport
        contentLength = knobs.contentLength
        head = knobs.headSupport
        let (seconds, attoseconds) = knobs.latency.components
        latencyMs = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        bandwidth = .some(knobs.bandwidth)
        tokenTTL = knobs.tokenTTL
        videoDirect = knobs.videoDirect
        videoURLTTL = knobs.videoURLTTL
        rangeCap = .some(knobs.rangeCap)
        unknownTotal = knobs.unknownTotal
        dailyLimit = knobs.dailyLimit
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        range = try container.decodeIfPresent(Bool.self, forKey: .range)
        contentLength = try container.decodeIfPresent(Bool.self, forKey: .contentLength)
        head = try container.decodeIfPresent(Bool.self, forKey: .head)
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs)
        bandwidth = try Self.decodeNullable(container, .bandwidth)
        tokenTTL = try container.decodeIfPresent(Int.self, forKey: .tokenTTL)
        videoDirect = try container.decodeIfPresent(Bool.self, forKey: .videoDirect)
        videoURLTTL = try container.decodeIfPresent(Int.self, forKey: .videoURLTTL)
        rangeCap = try Self.decodeNullable(container, .rangeCap)
        unknownTotal = try container.decodeIfPresent(Bool.self, forKey: .unknownTotal)
        dailyLimit = try container.decodeIfPresent(Int.self, forKey: .dailyLimit)
    }

    /// Absent → nil; `null` → .some(nil); a number → .some(n).
    private static func decodeNullable(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int?? {
        guard container.contains(key) else { return nil }
        return .some(try container.decodeNil(forKey: key) ? nil : container.decode(Int.self, forKey: key))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(range, forKey: .range)
        try container.encodeIfPresent(contentLength, forKey: .contentLength)
        try container.encodeIfPresent(head, forKey: .head)
        try container.encodeIfPresent(latencyMs, forKey: .latencyMs)
        if let bandwidth { try container.encode(bandwidth, forKey: .bandwidth) }
        try container.encodeIfPresent(tokenTTL, forKey: .tokenTTL)
        try container.encodeIfPresent(videoDirect, forKey: .videoDirect)
        try container.encodeIfPresent(videoURLTTL, forKey: .videoURLTTL)
        if let rangeCap { try container.encode(rangeCap, forKey: .rangeCap) }
        try container.encodeIfPresent(unknownTotal, forKey: .unknownTotal)
        try container.encodeIfPresent(dailyLimit, forKey: .dailyLimit)
    }

    func apply(to state: SimulatorState) async {
        if let range { await state.set(rangeSupport: range) }
        if let contentLength { await state.set(contentLength: contentLength) }
        if let head { await state.set(headSupport: head) }
        if let latencyMs { await state.set(latency: .milliseconds(max(0, latencyMs))) }
        if let bandwidth { await state.set(bandwidth: bandwidth) }
        if let tokenTTL { await state.set(tokenTTL: tokenTTL) }
        if let videoDirect { await state.set(videoDirect: videoDirect) }
        if let videoURLTTL { await state.set(videoURLTTL: videoURLTTL) }
        if let rangeCap { await state.set(rangeCap: rangeCap) }
        if let unknownTotal { await state.set(unknownTotal: unknownTotal) }
        if let dailyLimit { await state.set(dailyLimit: dailyLimit) }
    }
}
