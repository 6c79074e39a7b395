import MediaCache

/// Item inodes (guarded by `MediaFileSystem.inodes`' mutex). Numbers are never reused within a mount.
///
/// Memory stays bounded over months: an item is dropped once the kernel has forgotten every lookup of it
/// (`forget`'s nlookup) and no handle is open, and an id whose lookup failed is dropped at once. A dropped item
/// whose actor is still busy (a transfer finishing, blocks being written) is kept weakly, so a new lookup of
/// the same id meanwhile finds the same actor and single-flight holds; once idle, it is freed.
/// While the kernel holds an inode, its actor is only kept while it has work or an open handle: an idle one
/// (`idle`) is let go and made again when needed (its state is in the cache index), so a mount that saw many
/// ids holds a small node for each, not an actor.
struct InodeTable {
    /// 56 bytes a node, in one array: a mount holding 50,000 inodes spends ~3 MB on them (docs/benchmarks.md).
    private struct Node {
        var item: MediaItem?
        var lookups: UInt64 = 0
        var opens: Int32 = 0
        /// Lookups under way (between `item(for:)` and their answer): the node must outlive them.
        var pending: Int32 = 0
        /// Bumped each time the slot is used again, so an inode number is never given twice.
        var generation: UInt32 = 0
        var live = false
        var key: CacheKey
    }

    private final class Retired {
        weak var item: MediaItem?
        init(_ item: MediaItem) { self.item = item }
    }

    /// Slots of `nodes`; an inode number is `firstItem + (generation << 32 | slot)` (NodeID).
    private var nodes: [Node] = []
    private var freeSlots: [UInt32] = []
    /// Live slots by key (4 bytes a bucket).
    private var byKey = SlotIndex()
    private var retired: [CacheKey: Retired] = [:]
    private var retiredPruneAt = 1024
    private static let vacant = CacheKey(kind: .media, id: "-")

    private func liveSlot(_ key: CacheKey) -> Int? {
        byKey.find(hash: key.hashValue) { nodes[$0].key == key }
    }

    private mutating func index(_ slot: Int) {
        byKey.insert(slot, hash: nodes[slot].key.hashValue) { nodes[$0].key.hashValue }
    }

    private func inodeNumber(_ slot: UInt32) -> UInt64 {
        NodeID.item(slot: slot, generation: nodes[Int(slot)].generation)
    }

    /// The slot of a live inode number (nil for a number this table never gave or has dropped).
    private func slot(_ inode: UInt64) -> Int? {
        guard let (slot, generation) = NodeID.slotAndGeneration(inode) else { return nil }
        guard slot < nodes.count, nodes[slot].live, nodes[slot].generation == generation else { return nil }
        return slot
    }

    /// The item of `key` for a lookup under way; `looked` or `lookupFailed` must follow.
    mutating func item(for key: CacheKey, make: () -> MediaItem) -> (UInt64, MediaItem) {
        if let slot = liveSlot(key) {
            nodes[slot].pending += 1
            let item = nodes[slot].item ?? retired.removeValue(forKey: key)?.item ?? make()
            nodes[slot].item = item
            return (inodeNumber(UInt32(slot)), item)
        }
        let item = retired.removeValue(forKey: key)?.item ?? make()
        let slot: UInt32
        if let reused = freeSlots.popLast() {
            slot = reused
            let generation = nodes[Int(slot)].generation &+ 1
            // A generation at NodeID.maxGeneration would reach the upload bit: the slot retires, a new one is taken.
            if generation >= NodeID.maxGeneration { return appendNode(key, item) }
            nodes[Int(slot)] = Node(item: item, pending: 1, generation: generation, live: true, key: key)
        } else {
            return appendNode(key, item)
        }
        index(Int(slot))
        return (inodeNumber(slot), item)
    }

    private mutating func appendNode(_ key: CacheKey, _ item: MediaItem) -> (UInt64, MediaItem) {
        let slot = UInt32(nodes.count)
        nodes.append(Node(item: item, pending: 1, live: true, key: key))
        index(Int(slot))
        return (inodeNumber(slot), item)
    }

    /// A lookup answered from the cache index, with nothing to wait for: the node gets the kernel's reference at
    /// once and no actor (`item(_:make:)` makes one when a read needs it). Returns its inode.
    mutating func lookedWithoutActor(_ key: CacheKey) -> UInt64 {
        if let slot = liveSlot(key) {
            nodes[slot].lookups += 1
            return inodeNumber(UInt32(slot))
        }
        if let reused = freeSlots.last, nodes[Int(reused)].generation &+ 1 < NodeID.maxGeneration {
            freeSlots.removeLast()
            nodes[Int(reused)] = Node(item: nil, lookups: 1, generation: nodes[Int(reused)].generation &+ 1, live: true, key: key)
            index(Int(reused))
            return inodeNumber(reused)
        }
        let slot = UInt32(nodes.count)
        nodes.append(Node(item: nil, lookups: 1, live: true, key: key))
        index(Int(slot))
        return inodeNumber(slot)
    }

    /// The item of a held inode, its actor made again if it was let go while idle.
    mutating func item(_ inode: UInt64, make: (CacheKey) -> MediaItem) -> MediaItem? {
        guard let slot = slot(inode) else { return nil }
        if let item = nodes[slot].item { return item }
        let key = nodes[slot].key
        let item = retired.removeValue(forKey: key)?.item ?? make(key)
        nodes[slot].item = item
        return item
    }

    /// The actor a node holds now, if any (nothing is made).
    func existingItem(_ inode: UInt64) -> MediaItem? { slot(inode).flatMap { nodes[$0].item } }

    /// The key of a held inode (attributes come from the cache index without an actor).
    func key(_ inode: UInt64) -> CacheKey? { slot(inode).map { nodes[$0].key } }

    /// An actor with no work left: let it go unless a handle or a lookup under way uses it.
    mutating func idle(_ key: CacheKey, _ item: MediaItem) {
        guard let slot = liveSlot(key), nodes[slot].item === item, nodes[slot].opens == 0, nodes[slot].pending == 0 else { return }
        nodes[slot].item = nil
        // Kept weakly: an open still holding it (waiting for its info) and any later lookup share this actor.
        retire(key, item)
    }

    /// The actor of `key` for work that is not a lookup (the speex under a WAV): the node's, a retired one still
    /// alive, or a new one kept weakly so that a lookup meanwhile finds it (single-flight).
    mutating func shared(_ key: CacheKey, make: () -> MediaItem) -> MediaItem {
        if let slot = liveSlot(key), let item = nodes[slot].item { return item }
        if let item = retired[key]?.item { return item }
        let item = make()
        retire(key, item)
        return item
    }

    /// The inode of a known id, without making an item (readdir).
    func inode(of key: CacheKey) -> UInt64? { liveSlot(key).map { inodeNumber(UInt32($0)) } }

    var allItems: [MediaItem] { nodes.compactMap(\.item) + retired.values.compactMap(\.item) }

    /// Actors held by nodes now.
    var actorCount: Int { nodes.reduce(0) { $0 + ($1.item == nil ? 0 : 1) } }

    /// Items held in memory (for the stats and the memory tests).
    var count: Int { byKey.count }

    /// The lookup under way was answered: the kernel now holds one more reference.
    mutating func looked(_ inode: UInt64) {
        guard let slot = slot(inode) else { return }
        nodes[slot].pending -= 1
        nodes[slot].lookups += 1
    }

    /// The lookup under way failed: an id nobody holds is not kept.
    mutating func lookupFailed(_ inode: UInt64) {
        guard let slot = slot(inode) else { return }
        nodes[slot].pending -= 1
        dropIfUnused(slot)
    }

    mutating func forget(_ inode: UInt64, count: UInt64) {
        guard let slot = slot(inode) else { return }
        nodes[slot].lookups -= min(count, nodes[slot].lookups)
        dropIfUnused(slot)
    }

    /// A handle was opened on `item` (re-adopted if the node let it go meanwhile).
    mutating func opened(_ inode: UInt64, _ item: MediaItem) {
        guard let slot = slot(inode) else { return }
        nodes[slot].opens += 1
        if nodes[slot].item == nil { nodes[slot].item = item }
    }

    mutating func released(_ inode: UInt64) {
        guard let slot = slot(inode) else { return }
        nodes[slot].opens = max(0, nodes[slot].opens - 1)
        dropIfUnused(slot)
    }

    private mutating func dropIfUnused(_ slot: Int) {
        let node = nodes[slot]
        guard node.live, node.lookups == 0, node.opens == 0, node.pending == 0 else { return }
        nodes[slot].live = false
        nodes[slot].item = nil
        byKey.remove(slot, hash: node.key.hashValue) { nodes[$0].key.hashValue }
        nodes[slot].key = Self.vacant  // the id's string is not kept by a free slot
        freeSlots.append(UInt32(slot))
        if let item = node.item { retire(node.key, item) }
    }

    /// Keeps `item` weakly under `key`; entries whose actor has ended are pruned now and then (bounded).
    private mutating func retire(_ key: CacheKey, _ item: MediaItem) {
        retired[key] = Retired(item)
        if retired.count > retiredPruneAt {
            retired = retired.filter { $0.value.item != nil }
            retiredPruneAt = max(1024, retired.count * 2)
        }
    }
}

/// Open files (guarded by `MediaFileSystem.handles`' mutex).
struct HandleTable {
    enum Open {
        case item(MediaItem, inode: UInt64)
        case snapshot([UInt8])
        /// A file of `upload/` open for reading: its local copy.
        case local(Int32)
        /// A file of `upload/` open for writing.
        case upload(UploadWriter)
    }

    private var open: [UInt64: Open] = [:]
    private var next: UInt64 = 1

    mutating func add(_ handle: Open) -> UInt64 {
        let number = next
        next += 1
        open[number] = handle
        return number
    }

    func get(_ number: UInt64) -> Open? { open[number] }
    mutating func remove(_ number: UInt64) -> Open? { open.removeValue(forKey: number) }
}

extension InodeTable {
    /// For tests: a freed slot's generation, as a mount running for years would leave it.
    mutating func setGeneration(ofSlotOf inode: UInt64, to generation: UInt32) {
        guard let (slot, _) = NodeID.slotAndGeneration(inode), slot < nodes.count else { return }
        nodes[slot].generation = generation
    }
}
