import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal (and not with --quiet), at most
/// ten times a second: `name… 1234 KiB of 5678 KiB [#######      ] 21%`.
final class ProgressBar: @unchecked Sendable {  // guarded by `lock`
    private let name: String
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var last: (done: Int64, total: Int64?) = (0, nil)

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
            var line = "\r\(name)… \(done / 1024) KiB"
            if let total, total > 0 {
                let fraction = min(1, Double(done) / Double(total))
                let bar = String(repeating: "#", count: Int(fraction * 30)).padding(toLength: 30, withPad: " ", startingAt: 0)
                line += " of \(total / 1024) KiB [\(bar)] \(Int(fraction * 100))%"
            }
            FileHandle.standardError.write(Data((line + (final ? "\n" : "")).utf8))
        }
    }

    /// The last figures again, and the end of the line.
    func finish() {
        let (done, total) = lock.withLock { last }
        draw(done, of: total, final: true)
    }
}
