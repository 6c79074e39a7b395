import ArgumentParser
import Foundation
import FuseBridge
import MediaFS

/// `wxmediafs status [MOUNTPOINT]`: a readable summary of `MOUNTPOINT/.wxmediafs/stats`, or the raw JSON; with no
/// mountpoint, the summary of every wxmediafs mount of this machine (from /proc/self/mountinfo).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Summarise a mount's .wxmediafs/stats: cache, hit ratio, upstream calls, errors.",
        discussion: """
            Reads MOUNTPOINT/.wxmediafs/stats (nothing else: no upstream call, no cache access). Sizes are in binary units \
            (KiB, MiB, GiB); the hit ratio is block reads answered from the cache over all block reads; latencies are \
            estimated from histogram buckets (an upper bound). --json prints the document as the mount wrote it. Exit \
            status 2 (ENOENT) when MOUNTPOINT is not a wxmediafs mount, 5 (EIO) when its stats cannot be read. With no \
            MOUNTPOINT: every wxmediafs mount in turn (exit 2 when there is none).

            EXAMPLES:
              wxmediafs status
              wxmediafs status /mnt/wx
              wxmediafs status /mnt/wx --json | jq .upstream
              watch -n 5 wxmediafs status /mnt/wx
            """
    )

    @Argument(help: "The mountpoint of a running wxmediafs mount (default: every one).")
    var mountpoint: String?

    @Flag(help: "Print the raw JSON document instead of the summary.")
    var json = false

    func run() throws {
        guard let mountpoint else {
            let mounts = Self.wxmediafsMounts()
            guard !mounts.isEmpty else { throw fail(FSError(.noEntry, "no wxmediafs mount on this machine"), context: "status") }
            for (index, mount) in mounts.enumerated() {
                if index > 0, !json { print("") }
                try show(mount)
            }
            return
        }
        try show(mountpoint)
    }

    /// The mountpoints of every `fuse.wxmediafs` filesystem (MountInfo reads mountinfo, escapes undone).
    static func wxmediafsMounts(mountinfo: String? = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) -> [String] {
        MountInfo.entries(mountinfo).filter { $0.type == "fuse.wxmediafs" }.map(\.mountpoint)
    }

    private func show(_ mountpoint: String) throws {
        let path = (mountpoint.hasSuffix("/") ? String(mountpoint.dropLast()) : mountpoint) + "/.wxmediafs/stats"
        let data: Data
        do {
            data = try Self.readAll(path)
        } catch {
            let missing = error.errno == .noEntry || error.errno == .notDirectory
            let reason = missing ? "not a wxmediafs mount (no \(path))" : "cannot read \(path): \(error.errno)"
            throw fail(FSError(missing ? .noEntry : error.errno, reason), context: "status \(mountpoint)")
        }
        if json {
            FileHandle.standardOutput.write(data)
            return
        }
        let document: StatsDocument
        do {
            document = try JSONDecoder().decode(StatsDocument.self, from: data)
        } catch {
            throw fail(FSError(.io, "\(path) is not a stats document of this wxmediafs version (try --json)"), context: "status \(mountpoint)")
        }
        print(StatusReport.lines(document, mountpoint: mountpoint).joined(separator: "\n"))
    }

    /// Reads until end of file. The stats file is direct I/O and changes all the time: its stat size is only a
    /// hint (Foundation's `contents(atPath:)` would stop there).
    static func readAll(_ path: String) throws(ReadFailure) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadFailure(errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ReadFailure(errno: Errno(rawValue: errno)) }
            if count == 0 { return data }
            data.append(contentsOf: buffer[..<count])
        }
    }
}

struct ReadFailure: Error {
    let errno: Errno
}

/// The summary `status` prints, as lines (a pure function of the document, tested on its own).
enum StatusReport {
    static func lines(_ stats: StatsDocument, mountpoint: String) -> [String] {
        var lines = ["wxmediafs on \(mountpoint)" + (stats.uptimeSeconds.map { ", up \(duration($0))" } ?? "")]
        let cache = stats.cache
        let use = cache.budget > 0 ? " (\(percent(Double(cache.bytes) / Double(cache.budget))))" : ""
        lines.append("cache      \(bytes(cache.bytes)) of \(bytes(cache.budget))\(use); \(count(cache.items, "item")), "
            + "\(count(cache.blocks, "block")); \(cache.evictedBlocks) evicted, \(cache.corruptBlocks) corrupt")
        let fs = stats.filesystem
        let ratio = fs.hitRatio.map(percent) ?? "n/a"
        lines.append("reads      \(count(fs.reads, "read")), \(count(fs.lookups, "lookup")) (\(fs.negativeHits) negative); "
            + "hit ratio \(ratio) (\(count(fs.hits, "hit")), \(count(fs.misses, "miss", plural: "misses")))")
        let upstream = stats.upstream
        let endpoints = upstream.endpoints.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value.calls, "call")), \(bytes($0.value.bytes))" }
        lines.append("upstream   " + (endpoints.isEmpty ? "no calls" : endpoints.joined(separator: "; "))
            + "; \(count(upstream.tokenRefreshes, "token refresh", plural: "token refreshes"))")
        let upstreamErrors = upstream.errors.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }
        let fsErrors = fs.errors.sorted { $0.key < $1.key }.map { key, count in "\(Errno.name(ofKey: key)) ×\(count)" }
        lines.append("errors     upstream " + (upstreamErrors.isEmpty ? "none" : upstreamErrors.joined(separator: ", "))
            + "; filesystem " + (fsErrors.isEmpty ? "none" : fsErrors.joined(separator: ", ")))
        if let shared = stats.shared {
            lines.append("shared     \(count(shared.hits, "block")) read (\(bytes(shared.bytesRead))), \(count(shared.misses, "miss", plural: "misses")); "
                + "\(count(shared.objectsWritten, "object")) written, \(shared.objectsExisting) already there, \(shared.writesDropped) dropped; "
                + "\(shared.leaseWaits) lease waits; \(shared.corrupt) corrupt; \(count(shared.errors, "error")), \(count(shared.outages, "outage"))")
        }
        if fs.storeFailures > 0 {
            lines.append("cache disk \(count(fs.storeFailures, "block write")) refused (\(fs.lastStoreFailure ?? "?")): reads go on from memory and upstream")
        }
        if let quota = stats.quota {
            let used = quota.calls.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let total = quota.calls.values.reduce(0, +)
            lines.append("quota      \(quota.day) (China day): \(count(total, "call"))" + (quota.limitPerDay.map { " of max_calls_per_day \($0)" } ?? "")
                + (used.isEmpty ? "" : " (" + used.joined(separator: ", ") + ")"))
        }
        lines.append("memory     \(count(stats.memory.items, "item")), \(count(stats.memory.actors, "actor")), "
            + "\(count(stats.memory.negativeEntries, "negative entry", plural: "negative entries"))")
        let latency = (stats.latency ?? [:]).filter { $0.value.count > 0 }
        let order = FSOperation.allCases.map(\.rawValue)
        let sorted = latency.sorted { (order.firstIndex(of: $0.key) ?? order.count, $0.key) < (order.firstIndex(of: $1.key) ?? order.count, $1.key) }
        for (index, (name, summary)) in sorted.enumerated() {
            let label = index == 0 ? "latency    " : "           "
            lines.append(label + "\(name.padding(toLength: 10, withPad: " ", startingAt: 0)) p50 \(seconds(summary.p50Seconds))  "
                + "p99 \(seconds(summary.p99Seconds))  (\(summary.count))")
        }
        return lines
    }

    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", amount, units[unit])
    }

    static func percent(_ ratio: Double) -> String { String(format: "%.1f%%", ratio * 100) }

    static func count(_ value: Int, _ singular: String, plural: String? = nil) -> String {
        "\(value) \(value == 1 ? singular : plural ?? singular + "s")"
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return ">10 s" }
        return value < 1 ? "≤\(String(format: "%g", value * 1000)) ms" : "≤\(String(format: "%g", value)) s"
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds)
        let (days, hours, minutes, rest) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return minutes > 0 ? "\(minutes)m \(rest)s" : "\(rest)s"
    }
}
