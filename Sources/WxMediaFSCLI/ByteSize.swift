import ArgumentParser
import Foundation

/// A size like `2G`, `512M`, `64K` or `1048576` (powers of 1024).
struct ByteSize: ExpressibleByArgument, Sendable {
    let bytes: Int64

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var number = Substring(text)
        var scale: Int64 = 1
        if let last = text.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard let value = Double(number), value > 0 else { return nil }
        bytes = Int64(value * Double(scale))
    }
}
