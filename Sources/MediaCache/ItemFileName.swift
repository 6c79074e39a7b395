import Foundation

/// The names the cache writes inside an item folder; anything else there is not ours and is left alone.
enum ItemFileName: Equatable {
    case meta
    case block(Int)
    /// `<meta|N.blk>.tmp-<pid>-<random>`: a write in progress, or left by a writer that died.
    case temporary(pid: Int32)
    case foreign

    init(_ name: String) {
        if name == "meta" {
            self = .meta
        } else if let block = Self.blockIndex(name) {
            self = .block(block)
        } else if let pid = Self.temporaryWriter(name) {
            self = .temporary(pid: pid)
        } else {
            self = .foreign
        }
    }

    static func block(_ index: Int) -> String { "\(index).blk" }

    /// `N.blk` with N in canonical decimal (so `blockPath(N)` is this very file).
    private static func blockIndex(_ name: String) -> Int? {
        guard name.hasSuffix(".blk") else { return nil }
        let digits = name.dropLast(4)
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCIIDigit), let index = Int(digits),
              String(index) == digits else { return nil }
        return index
    }

    private static func temporaryWriter(_ name: String) -> Int32? {
        guard let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let target = String(name[..<marker.lowerBound])
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard target == "meta" || blockIndex(target) != nil, parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }), let pid = Int32(parts[0]) else { return nil }
        return pid
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
