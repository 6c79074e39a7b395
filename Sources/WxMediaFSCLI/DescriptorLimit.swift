import Foundation

/// The process's descriptor limit, raised from the soft limit (1,024 by default) to the hard one at start:
/// cache files, upstream connections and FUSE need descriptors, and the servers beside the mount are capped
/// (ConnectionLimits) far below what is left, so a flood of connections costs the flooder, never the readers.
enum DescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limit now in force (nil if it cannot be read).
    @discardableResult
    static func raise() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        guard limit.rlim_cur < limit.rlim_max else { return UInt64(limit.rlim_cur) }
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 ? UInt64(raised.rlim_cur) : UInt64(limit.rlim_cur)
    }
}
