import Foundation
import Locking
import MediaFS
import WeChatAPI
import Prometheus
import Synchronization

/// The mount's metrics in Prometheus' text format (namespace `wxmediafs`), through swift-prometheus'
/// `PrometheusCollectorRegistry`.
///
/// Counters and gauges are not kept twice: at each scrape they are set from the same snapshot that
/// `.wxmediafs/stats` shows (`MediaFileSystem.statistics()`), counters from their monotonic totals (reset, then
/// incremented by the total: the registry has no `set` for counters). Scrapes are serialised so a scrape never
/// sees a half-set counter. The FUSE latency histograms are recorded live: the exporter observes
/// `fs.latencies`, which the bridge feeds, with the same bucket bounds as the stats file's.
final class MetricsExporter: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let fs: MediaFileSystem
    private let scrapes = Mutex(())

    /// `upstreamLatency`: the API client's counters, whose request latencies become a histogram per endpoint.
    init(fs: MediaFileSystem, upstreamLatency: APICounters? = nil) {
        self.fs = fs
        let buckets = OperationLatencies.bucketBounds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        let descriptor = MetricNameDescriptor(namespace: "wxmediafs", subsystem: "fuse", metricName: "op_duration", unitName: "seconds",
                                              helpText: "Latency of FUSE requests by operation, from the kernel's request to the reply.")
        let histograms = Dictionary(uniqueKeysWithValues: FSOperation.allCases.map { operation in
            (operation, registry.makeDurationHistogram(descriptor: descriptor, labels: [("op", operation.rawValue)], buckets: buckets))
        })
        fs.latencies.observe { operation, duration in histograms[operation]?.record(duration) }
        let shared = registry
        upstreamLatency?.observeLatency { endpoint, duration in
            let upstream = MetricNameDescriptor(namespace: "wxmediafs", subsystem: "upstream", metricName: "request_duration", unitName: "seconds",
                                                helpText: "Time from an upstream request to its answer's head, by endpoint.")
            shared.makeDurationHistogram(descriptor: upstream, labels: [("endpoint", endpoint)], buckets: buckets).record(duration)
        }
        let info = MetricNameDescriptor(namespace: "wxmediafs", metricName: "build", unitName: "info", helpText: "The running build (always 1).")
        registry.makeGauge(descriptor: info, labels: [("version", BuildInfo.version), ("commit", BuildInfo.commit)]).set(to: 1)
    }

    /// The text exposition of every metric, fresh from the filesystem's counters.
    func scrape() -> [UInt8] {
        scrapes.locked { _ in
            update(fs.statistics())
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return buffer
        }
    }

    private func update(_ stats: StatsDocument) {
        let filesystem = stats.filesystem
        counter("cache_hits", "Block reads answered from the cache.", filesystem.hits)
        counter("cache_misses", "Block reads that waited for an upstream transfer.", filesystem.misses)
        counter("cache_store_failures", "Blocks the cache's disk refused (full or failing); reads go on from memory and upstream.",
                filesystem.storeFailures)
        counter("fs_reads", "FUSE read requests.", filesystem.reads)
        counter("fs_lookups", "FUSE lookup requests.", filesystem.lookups)
        counter("fs_negative_hits", "Lookups answered ENOENT by the negative cache, without an upstream call.", filesystem.negativeHits)
        for (key, count) in filesystem.errors {
            let name = Errno.name(ofKey: key)
            counter("fs_errors", "Filesystem requests answered with an error, by errno.", count, labels: [("errno", name)])
        }

        let upstream = stats.upstream
        for (endpoint, values) in upstream.endpoints {
            counter("upstream_calls", "Upstream HTTP requests by endpoint (media/get, media/get/jssdk, cdn, media/upload).", values.calls,
                    labels: [("endpoint", endpoint)])
            counter("upstream", "Media body bytes received from upstream, by endpoint.", values.bytes, unit: "bytes_total",
                    labels: [("endpoint", endpoint)])
        }
        for (label, count) in upstream.errors {
            counter("upstream_errors", "Upstream errors by label (errcode_40007, http_500, transport, timeout, …).", count, labels: [("error", label)])
        }
        counter("token_refreshes", "Access tokens fetched (the first one included).", upstream.tokenRefreshes)

        let cache = stats.cache
        gauge("cache_size", "Bytes held by the block cache.", cache.bytes, unit: "bytes")
        gauge("cache_budget", "The block cache's byte budget (--cache-size).", cache.budget, unit: "bytes")
        gauge("cache_items", "Items in the block cache.", cache.items)
        gauge("cache_blocks", "Blocks in the block cache.", cache.blocks)
        counter("cache_evicted_blocks", "Blocks evicted to stay within the budget.", cache.evictedBlocks)
        counter("cache_corrupt_blocks", "Blocks found corrupt (checksum) and dropped.", cache.corruptBlocks)

        if let shared = stats.shared {
            counter("shared_hits", "Blocks read from the shared store and checked.", shared.hits)
            counter("shared_misses", "Items the shared store had no usable object for.", shared.misses)
            counter("shared_read", "Bytes read from the shared store.", shared.bytesRead, unit: "bytes")
            counter("shared_objects_written", "Items this host wrote to the shared store.", shared.objectsWritten)
            counter("shared_objects_existing", "Items another host had written first (a conditional create refused).", shared.objectsExisting)
            counter("shared_writes_dropped", "Items not written to the shared store (too large, or the store was down).", shared.writesDropped)
            counter("shared_corrupt", "Objects or blocks of the shared store not served (checksum or fields).", shared.corrupt)
            counter("shared_errors", "Failed calls to the shared store.", shared.errors)
            counter("shared_outages", "Times the shared store was taken out for a while after a failure.", shared.outages)
            counter("shared_lease_waits", "Fetches left to another host holding the item's lease.", shared.leaseWaits)
        }

        gauge("memory_items", "Items held in memory (known to the kernel or open).", stats.memory.items)
        gauge("memory_actors", "Item actors alive.", stats.memory.actors)
        gauge("memory_negative_entries", "Ids remembered as not found.", stats.memory.negativeEntries)
        gauge("uptime", "Seconds since the filesystem was made.", stats.uptimeSeconds ?? 0, unit: "seconds")

        if let quota = stats.quota {
            for (endpoint, calls) in quota.calls {
                gauge("quota_calls_today", "Upstream calls counted today (China day, 00:00 UTC+8), by endpoint.", Double(calls),
                      labels: [("endpoint", endpoint)])
            }
            gauge("quota_limit_per_day", "max_calls_per_day (0: no limit of this mount's own).", Double(quota.limitPerDay ?? 0))
        }
        if let process = ProcessMetrics.current() {
            plain("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", process.cpuSeconds, counter: true)
            plain("process_resident_memory_bytes", "Resident memory size in bytes.", process.residentBytes)
            plain("process_virtual_memory_bytes", "Virtual memory size in bytes.", process.virtualBytes)
            plain("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", process.startTimeSeconds)
            plain("process_open_fds", "Number of open file descriptors.", process.openFDs)
            plain("process_max_fds", "Maximum number of open file descriptors.", process.maxFDs)
        }
    }

    /// A metric outside the `wxmediafs` namespace (the standard `process_*` names: `process` and the rest).
    private func plain(_ name: String, _ help: String, _ value: Double, counter: Bool = false) {
        let parts = name.split(separator: "_", maxSplits: 1).map(String.init)
        let descriptor = MetricNameDescriptor(metricName: parts[0], unitName: parts[1], helpText: help)
        if counter {
            let metric = registry.makeCounter(descriptor: descriptor, labels: [])
            metric.reset()
            metric.increment(by: value)
        } else {
            registry.makeGauge(descriptor: descriptor, labels: []).set(to: value)
        }
    }

    private func counter(_ name: String, _ help: String, _ total: some BinaryInteger, unit: String = "total", labels: [(String, String)] = []) {
        let descriptor = MetricNameDescriptor(namespace: "wxmediafs", metricName: name, unitName: unit, helpText: help)
        let counter = registry.makeCounter(descriptor: descriptor, labels: labels)
        counter.reset()
        counter.increment(by: Int64(max(0, total)))
    }

    private func gauge(_ name: String, _ help: String, _ value: some BinaryInteger, unit: String = "") {
        gauge(name, help, Double(value), unit: unit)
    }

    private func gauge(_ name: String, _ help: String, _ value: Double, unit: String = "", labels: [(String, String)] = []) {
        let descriptor = MetricNameDescriptor(namespace: "wxmediafs", metricName: name, unitName: unit, helpText: help)
        registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
    }
}
