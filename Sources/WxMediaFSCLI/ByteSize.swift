import ArgumentParser
import Foundation

/// A size like `2G`, `512M`, `64K` or `1048576` (powers of 1024).
struct ByteSize: ExpressibleByArgument, Equatable, Sendable {
    let bytes: Int64

    init(bytes: Int64) { self.bytes = bytes }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var number = Substring(text)
        var scale: Int64 = 1
        if let last = text.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        // Finite and below 2^62 (8 EiB), so the conversion cannot trap: `inf` and `1e30G` are not sizes.
        guard let value = Double(number), value > 0, value * Double(scale) < 0x1p62 else { return nil }
        bytes = max(1, Int64(value * Double(scale)))
    }

    /// The shortest text that reads back as the same size: `2G`, `1536M`, `1000`.
    var text: String {
        for (unit, scale) in [("T", Int64(1) << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where bytes % scale == 0 {
            return "\(bytes / scale)\(unit)"
        }
        return "\(bytes)"
    }
}
