import Foundation
import MediaCache
import WeChatAPI

/// What `.wxmediafs/stats` holds, and what the metrics endpoint exports: one snapshot of every counter and gauge
/// of a mount. `wxmediafs status` decodes it; fields added later are optional so an older mount still reads.
public struct StatsDocument: Sendable, Codable, Equatable {
    public struct Memory: Sendable, Codable, Equatable {
        /// Items the inode table holds (the kernel knows them, or a file is open).
        public var items: Int
        /// Item actors alive in the process.
        public var actors: Int
        /// Ids remembered as not found.
        public var negativeEntries: Int
    }

    public var cache: CacheStatistics
    public var filesystem: FilesystemCounters
    public var memory: Memory
    public var upstream: UpstreamStats
    /// FUSE operation latencies by operation name (lookup, getattr, open, read, …).
    public var latency: [String: LatencySummary]?
    /// Seconds since the filesystem was made.
    public var uptimeSeconds: Double?
    /// Today's counted upstream calls (China day) and the configured limit.
    public var quota: QuotaStatus?
    /// The tier shared with other hosts (`shared_cache`), when there is one.
    public var shared: SharedTierStatistics?

    /// The document as the stats file shows it: pretty-printed JSON with sorted keys, and a final newline.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8)) + [0x0A]
    }
}
