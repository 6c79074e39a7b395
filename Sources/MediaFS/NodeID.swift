/// The one reading of an inode number. The space is split by its top bits, and nothing else decodes them:
///
/// | bits | what |
/// |---|---|
/// | < `Inode.firstItem` | the fixed nodes (root, media/, hd/, .wxmediafs/, inbox/, upload/ and its type folders) |
/// | `firstItem + (generation << 32 \| slot)` | an item of `InodeTable`; the generation stays below `maxGeneration` (2^28), so an item never reaches bit 61 |
/// | bit 61 (`uploadBit`) | a file of `upload/<type>/` |
/// | bit 62 (`inboxBit`) | a day, sender or link under `inbox/` (a hash of its path) |
/// | bit 63 | a listing's placeholder for an item not looked up yet (a hash of its key; never looked up itself) |
public enum NodeID: Equatable, Sendable {
    case fixed(UInt64)
    case item(UInt64)
    case upload(UInt64)
    case inbox(UInt64)
    case placeholder(UInt64)

    static let uploadBit: UInt64 = 1 << 61
    static let inboxBit: UInt64 = 1 << 62
    static let placeholderBit: UInt64 = 1 << 63
    /// Generations of an item slot stay below this: `firstItem + (generation << 32 | slot)` < 2^61.
    static let maxGeneration: UInt32 = 1 << 28

    public init(_ raw: UInt64) {
        if raw & Self.placeholderBit != 0 {
            self = .placeholder(raw)
        } else if raw & Self.inboxBit != 0 {
            self = .inbox(raw)
        } else if raw & Self.uploadBit != 0 {
            self = .upload(raw)
        } else if raw >= Inode.firstItem {
            self = .item(raw)
        } else {
            self = .fixed(raw)
        }
    }

    public var isItem: Bool { if case .item = self { true } else { false } }
    public var isUpload: Bool { if case .upload = self { true } else { false } }
    public var isInbox: Bool { if case .inbox = self { true } else { false } }

    /// An item's number from its slot and generation (the generation below `maxGeneration`).
    static func item(slot: UInt32, generation: UInt32) -> UInt64 {
        precondition(generation < maxGeneration, "an item generation reached the upload bit")
        return Inode.firstItem + (UInt64(generation) << 32 | UInt64(slot))
    }

    /// The slot and generation of an item number.
    static func slotAndGeneration(_ raw: UInt64) -> (slot: Int, generation: UInt32)? {
        guard case .item = NodeID(raw) else { return nil }
        let number = raw - Inode.firstItem
        return (Int(number & 0xFFFF_FFFF), UInt32(number >> 32))
    }
}
