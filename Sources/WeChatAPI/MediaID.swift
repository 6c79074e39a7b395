/// A well-formed media id: 1 to 128 characters of `[A-Za-z0-9_-]`. Anything else never reaches the network.
public struct MediaID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ raw: some StringProtocol) {
        guard (1...128).contains(raw.utf8.count), raw.utf8.allSatisfy(MediaID.isAllowed) else { return nil }
        rawValue = String(raw)
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    public var description: String { rawValue }
    public static func < (lhs: MediaID, rhs: MediaID) -> Bool { lhs.rawValue < rhs.rawValue }
}
