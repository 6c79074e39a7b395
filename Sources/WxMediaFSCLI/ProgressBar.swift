import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal (and not with --quiet), at most
/// ten times a second: `name… 12.1 MiB of 57.3 MiB [#######      ] 21%  3.2 MiB/s  ETA 14 s`.
final class ProgressBar: @unchecked Sendable {  // guarded by `lock`
    private let name: String
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var last: (done: Int64, total: Int64?) = (0, nil)
    private var started: Double?

    init(_ name: String, quiet: Bool) {
        self.name = name
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    func draw(_ done: Int64, of total: Int64?, final: Bool = false) {
        guard enabled else { return }
        lock.withLock {
            last = (done, total)
            let now = Date().timeIntervalSince1970
            guard final || now - lastDraw > 0.1 else { return }
            lastDraw = now
            let begun = started ?? now
            started = begun
            let elapsed = now - begun
            let rate = elapsed > 0.2 ? Double(done) / elapsed : nil
            var line = "\r\(name)… \(Self.size(done))"
            if let total, total > 0 {
                let fraction = min(1, Double(done) / Double(total))
                let bar = String(repeating: "#", count: Int(fraction * 30)).padding(toLength: 30, withPad: " ", startingAt: 0)
                line += " of \(Self.size(total)) [\(bar)] \(Int(fraction * 100))%"
                if let rate, rate > 0, !final { line += "  ETA \(Int((Double(total - done) / rate).rounded(.up))) s" }
            }
            if let rate { line += "  \(Self.size(Int64(rate)))/s" }
            FileHandle.standardError.write(Data((line + "\u{1B}[K" + (final ? "\n" : "")).utf8))
        }
    }

    /// Binary units, one decimal past KiB: `812 B`, `4.0 KiB`, `12.1 MiB`, `1.2 GiB`.
    static func size(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }

    /// The last figures again, and the end of the line.
    func finish() {
        let (done, total) = lock.withLock { last }
        draw(done, of: total, final: true)
    }
}
