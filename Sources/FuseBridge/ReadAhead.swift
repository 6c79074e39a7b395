import Foundation

/// Larger kernel read requests: the kernel sends reads of at most the bdi's read-ahead size (128 KiB by
/// default) to a FUSE mount; raising it (root only) after mounting lets sequential readers ask for 1 MiB at a
/// time, which is what the block cache and the upstream windows are sized for.
enum ReadAhead {
    /// Finds the mount's device in /proc/self/mountinfo and sets its read-ahead. `mountpoint` must be the
    /// resolved path (realpath, taken before mounting): nothing here may touch the mount itself, which is not
    /// served yet. Failures are harmless and ignored: reads stay at 128 KiB.
    static func raise(mountpoint target: String, kilobytes: Int) -> Bool {
        let device = MountInfo.device(of: target)
        guard let device else { return false }
        let path = "/sys/class/bdi/\(device)/read_ahead_kb"
        return (try? "\(kilobytes)".write(toFile: path, atomically: false, encoding: .utf8)) != nil
    }
}
