import Locking
import MediaFS
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

    init(fs: MediaFileSystem) {
        self.fs = fs
        let buckets = OperationLatencies.bucketBounds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        let descriptor = MetricNameDescriptor(namespace: "wxmediafs", subsystem: "fuse", metricName: "op_duration", unitName: "seconds",
                                              helpText: "Latency of FUSE requests by operation, from the kernel's request to the reply.")
        let histograms = Dictionary(uniqueKeysWithValues: FSOperation.allCases.map { operation in
            (operation, registry.makeDurationHistogram(descriptor: descriptor, labels: [("op", operation.rawValue)], buckets: buckets))
        })
        fs.latencies.observe { operation, duration in histograms[operation]?.record(duration) }
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
        gauge("cache_hit_ratio", "cache_hits / (cache_hits + cache_misses); 0 before the first block read.", filesystem.hitRatio ?? 0)
        counter("fs_reads", "FUSE read requests.", filesystem.reads)
        counter("fs_lookups", "FUSE lookup requests.", filesystem.lookups)
        counter("fs_negative_hits", "Lookups answered ENOENT by the negative cache, without an upstream call.", filesystem.negativeHits)
        for (number, count) in filesystem.errors {
            let name = Int32(number).map { Errno(rawValue: $0).symbol } ?? number
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

        gauge("memory_items", "Items held in memory (known to the kernel or open).", stats.memory.items)
        gauge("memory_actors", "Item actors alive.", stats.memory.actors)
        gauge("memory_negative_entries", "Ids remembered as not found.", stats.memory.negativeEntries)
        gauge("uptime", "Seconds since the filesystem was made.", stats.uptimeSeconds ?? 0, unit: "seconds")
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

    private func gauge(_ name: String, _ help: String, _ value: Double, unit: String = "") {
        let descriptor = MetricNameDescriptor(namespace: "wxmediafs", metricName: name, unitName: unit, helpText: help)
        registry.makeGauge(descriptor: descriptor, labels: []).set(to: value)
    }
}
