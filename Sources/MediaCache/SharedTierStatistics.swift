/// What a tier shared by several hosts did (SharedStore's S3DataCache), for `stats`, `/metrics` and `status`.
public struct SharedTierStatistics: Sendable, Equatable, Codable {
    /// Blocks read from the store and checked.
    public var hits = 0
    /// Reads the store had no object for (or no usable one).
    public var misses = 0
    public var bytesRead: Int64 = 0
    /// Objects this host wrote; objects another host had written first (a conditional create refused).
    public var objectsWritten = 0
    public var objectsExisting = 0
    /// Items not archived: larger than the staging room, or dropped while the store was down.
    public var writesDropped = 0
    /// Blocks whose bytes did not match their checksum (never served), and objects whose fields were not ours.
    public var corrupt = 0
    /// Calls that failed (transport, 5xx, 403), and the outages they opened.
    public var errors = 0
    public var outages = 0
    /// Fetches this host left to another host holding the item's lease (it waited for the object instead).
    public var leaseWaits = 0

    public init() {}
}
