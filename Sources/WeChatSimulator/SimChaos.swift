/// Faults at a rate (`POST /__sim/chaos`): each call of a chosen endpoint draws, from a seeded generator, whether
/// it fails and how. Queued faults (`/__sim/fault`) go first; chaos only decides calls nothing was queued for.
/// The draw sequence depends only on the seed and the order of calls, so a run can be told again by its seed.
struct ChaosSettings: Sendable {
    var rate: Double
    var kinds: [SimFault]
    var endpoints: Set<SimEndpoint>
    var generator: SplitMix64
}

/// `{"rate":0.1,"kinds":["http500","reset"],"endpoints":["media/get","cdn"],"seed":42,"seconds":60}`;
/// `{"rate":0}` turns chaos off.
struct ChaosCommand: Decodable {
    var rate: Double
    var kinds: [String]?
    var endpoints: [String]?
    var seed: UInt64?
    /// For `stall`: how long a stalled answer is held.
    var seconds: Double?
}

/// What `GET /__sim/chaos` answers: faults given so far by name (queued and drawn alike), and the draws.
struct ChaosReport: Codable, Sendable {
    var injected: [String: Int]
    var draws: Int
    var rate: Double
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), good enough to pick faults.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SimulatorState {
    /// Sets (or, with rate 0 or no kinds, clears) the fault rate. Counts are kept across settings.
    func setChaos(_ settings: ChaosSettings?) {
        guard let settings, settings.rate > 0, !settings.kinds.isEmpty else { chaos = nil; return }
        chaos = settings
    }

    /// From now on each call of `endpoints` fails with probability `rate`, with one of `kinds` (drawn from `seed`).
    public func setFaultRate(_ rate: Double, kinds: [SimFault], endpoints: Set<SimEndpoint>, seed: UInt64) {
        setChaos(ChaosSettings(rate: rate, kinds: kinds, endpoints: endpoints, generator: SplitMix64(seed: seed)))
    }

    /// Faults given so far (queued or drawn), by their control name.
    public func injectedFaultCounts() -> [String: Int] { injectedFaults }

    /// A fault drawn for this call of `endpoint`, or nil (no chaos, another endpoint, or the draw says no).
    func drawChaos(for endpoint: SimEndpoint) -> SimFault? {
        guard var settings = chaos, settings.endpoints.contains(endpoint) else { return nil }
        defer { chaos = settings }
        chaosDraws += 1
        guard Double.random(in: 0..<1, using: &settings.generator) < settings.rate else { return nil }
        return settings.kinds.randomElement(using: &settings.generator)
    }

    func countInjected(_ fault: SimFault) { injectedFaults[fault.controlName, default: 0] += 1 }

    func chaosReport() -> ChaosReport {
        ChaosReport(injected: injectedFaults, draws: chaosDraws, rate: chaos?.rate ?? 0)
    }
}
