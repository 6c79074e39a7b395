import Foundation

/// Upstream calls per API on one quota day: what `<cache-dir>/quota.json` holds, and what a process adds to it.
///
/// The file: `{"version":1,"day":"2026-11-29","calls":{"media/get":3,"media/upload":1}}`. Another version, a
/// damaged or a foreign file reads as nil (no count), and is replaced at the next write.
public struct QuotaRecord: Sendable, Equatable {
    public var day: QuotaDay
    /// Calls per endpoint label (`media/get`, `media/get/jssdk`, `media/upload`, …), as `APICounters` names them.
    public var calls: [String: Int]

    public init(day: QuotaDay, calls: [String: Int] = [:]) {
        self.day = day
        self.calls = calls
    }

    public var total: Int { calls.values.reduce(0, +) }

    static let version = 1

    private struct File: Codable {
        var version: Int
        var day: String
        var calls: [String: Int]
    }

    public init?(json bytes: [UInt8]) {
        guard let file = try? JSONDecoder().decode(File.self, from: Data(bytes)), file.version == Self.version,
              let day = QuotaDay(file.day), file.calls.values.allSatisfy({ $0 >= 0 }) else { return nil }
        self.init(day: day, calls: file.calls)
    }

    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(File(version: Self.version, day: day.description, calls: calls))) ?? Data()
        return Array(data) + [0x0A]
    }

    /// What the file should say after `delta` (one process's calls not yet written) is added to `stored`:
    /// the sum on the same day; `delta` alone when the stored day is older (a new day starts from zero);
    /// `stored` unchanged when it is newer (calls of a day already over no longer matter).
    public static func adding(_ delta: QuotaRecord, to stored: QuotaRecord?) -> QuotaRecord {
        guard let stored, stored.day >= delta.day else { return delta }
        guard stored.day == delta.day else { return stored }
        return QuotaRecord(day: stored.day, calls: stored.calls.merging(delta.calls, uniquingKeysWith: +))
    }
}

/// The `quota` member of `.wxmediafs/stats`: `{"day":"2026-11-29","calls":{"media/get":3},"limitPerDay":1000}`,
/// `limitPerDay` null when there is no limit.
public struct QuotaStatus: Sendable, Equatable, Codable {
    public var day: String
    public var calls: [String: Int]
    public var limitPerDay: Int?

    public init(day: String, calls: [String: Int], limitPerDay: Int?) {
        self.day = day
        self.calls = calls
        self.limitPerDay = limitPerDay
    }

    enum CodingKeys: String, CodingKey { case day, calls, limitPerDay }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(day, forKey: .day)
        try container.encode(calls, forKey: .calls)
        try container.encode(limitPerDay, forKey: .limitPerDay)  // null, not absent, when unlimited
    }
}
