/// The body of `POST /__sim/config` (any subset) and its answer (every knob). `"bandwidth": null` lifts the cap.
struct ConfigCommand: Codable {
    var range: Bool?
    var contentLength: Bool?
    var head: Bool?
    var latencyMs: Int?
    /// nil = not given; .some(nil) = unlimited.
    var bandwidth: Int??
    var tokenTTL: Int?
    var videoDirect: Bool?

    enum CodingKeys: String, CodingKey { case range, contentLength, head, latencyMs, bandwidth, tokenTTL, videoDirect }

    init(_ knobs: SimulatorState.Knobs) {
        range = knobs.rangeSupport
        contentLength = knobs.contentLength
        head = knobs.headSupport
        let (seconds, attoseconds) = knobs.latency.components
        latencyMs = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        bandwidth = .some(knobs.bandwidth)
        tokenTTL = knobs.tokenTTL
        videoDirect = knobs.videoDirect
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        range = try container.decodeIfPresent(Bool.self, forKey: .range)
        contentLength = try container.decodeIfPresent(Bool.self, forKey: .contentLength)
        head = try container.decodeIfPresent(Bool.self, forKey: .head)
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs)
        if container.contains(.bandwidth) {
            bandwidth = .some(try container.decodeNil(forKey: .bandwidth) ? nil : container.decode(Int.self, forKey: .bandwidth))
        }
        tokenTTL = try container.decodeIfPresent(Int.self, forKey: .tokenTTL)
        videoDirect = try container.decodeIfPresent(Bool.self, forKey: .videoDirect)
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
    }

    func apply(to state: SimulatorState) async {
        if let range { await state.set(rangeSupport: range) }
        if let contentLength { await state.set(contentLength: contentLength) }
        if let head { await state.set(headSupport: head) }
        if let latencyMs { await state.set(latency: .milliseconds(max(0, latencyMs))) }
        if let bandwidth { await state.set(bandwidth: bandwidth) }
        if let tokenTTL { await state.set(tokenTTL: tokenTTL) }
        if let videoDirect { await state.set(videoDirect: videoDirect) }
    }
}
