import Foundation

/// The names the cache writes in a kind folder (`v2/<kind>/`); anything else there is not ours and is left alone.
enum ItemFileName: Equatable {
    /// `<media id>`: an item file.
    case item(String)
    /// `<media id>.tmp-<pid>-<random>`: a file being made, or left by a maker that died.
    case temporary(pid: Int32)
    case foreign

    init(_ name: String) {
        if CacheKey.isMediaID(name) {
            self = .item(name)
        } else if let pid = Self.temporaryWriter(name, of: CacheKey.isMediaID) {
            self = .temporary(pid: pid)
        } else {
            self = .foreign
        }
    }

    /// The writer's pid of `<target>.tmp-<pid>-<random>` where `isTarget(target)`, the temporary name every cache
    /// format writes (format 1's targets are `meta` and `N.blk`).
    static func temporaryWriter(_ name: String, of isTarget: (String) -> Bool) -> Int32? {
        guard let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let target = String(name[..<marker.lowerBound])
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard isTarget(target), parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }), let pid = Int32(parts[0]) else { return nil }
        return pid
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
