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
    private struct Node {
        let key: CacheKey
        var item: MediaItem?
        var lookups: UInt64 = 0
        var opens = 0
        /// Lookups under way (between `item(for:)` and their answer): the node must outlive them.
        var pending = 0
    }

    private final class Retired {
        weak var item: MediaItem?
        init(_ item: MediaItem) { self.item = item }
    }

    private var byKey: [CacheKey: UInt64] = [:]
    private var nodes: [UInt64: Node] = [:]
    private var retired: [CacheKey: Retired] = [:]
    private var next = Inode.firstItem
    private var retiredPruneAt = 1024

    /// The item of `key` for a lookup under way; `looked` or `lookupFailed` must follow.
    mutating func item(for key: CacheKey, make: () -> MediaItem) -> (UInt64, MediaItem) {
        if let inode = byKey[key], nodes[inode] != nil {
            nodes[inode]!.pending += 1
            let item = nodes[inode]!.item ?? retired.removeValue(forKey: key)?.item ?? make()
            nodes[inode]!.item = item
            return (inode, item)
        }
        let inode = next
        next += 1
        let item = retired.removeValue(forKey: key)?.item ?? make()
        byKey[key] = inode
        nodes[inode] = Node(key: key, item: item, pending: 1)
        return (inode, item)
    }

    /// The item of a held inode, its actor made again if it was let go while idle.
    mutating func item(_ inode: UInt64, make: (CacheKey) -> MediaItem) -> MediaItem? {
        guard var node = nodes[inode] else { return nil }
        if let item = node.item { return item }
        let item = retired.removeValue(forKey: node.key)?.item ?? make(node.key)
        node.item = item
        nodes[inode] = node
        return item
    }

    /// The actor a node holds now, if any (nothing is made).
    func existingItem(_ inode: UInt64) -> MediaItem? { nodes[inode]?.item }

    /// The key of a held inode (attributes come from the cache index without an actor).
    func key(_ inode: UInt64) -> CacheKey? { nodes[inode]?.key }

    /// An actor with no work left: let it go unless a handle or a lookup under way uses it.
    mutating func idle(_ key: CacheKey, _ item: MediaItem) {
        guard let inode = byKey[key], let node = nodes[inode], node.item === item, node.opens == 0, node.pending == 0 else { return }
        nodes[inode]?.item = nil
    }

    /// The inode of a known id, without making an item (readdir).
    func inode(of key: CacheKey) -> UInt64? { byKey[key] }

    var allItems: [MediaItem] { nodes.values.compactMap(\.item) + retired.values.compactMap(\.item) }

    /// Actors held by nodes now.
    var actorCount: Int { nodes.values.reduce(0) { $0 + ($1.item == nil ? 0 : 1) } }

    /// Items held in memory (for the stats and the memory tests).
    var count: Int { nodes.count }

    /// The lookup under way was answered: the kernel now holds one more reference.
    mutating func looked(_ inode: UInt64) {
        nodes[inode]?.pending -= 1
        nodes[inode]?.lookups += 1
    }

    /// The lookup under way failed: an id nobody holds is not kept.
    mutating func lookupFailed(_ inode: UInt64) {
        nodes[inode]?.pending -= 1
        dropIfUnused(inode)
    }

    mutating func forget(_ inode: UInt64, count: UInt64) {
        guard var node = nodes[inode] else { return }
        node.lookups -= min(count, node.lookups)
        nodes[inode] = node
        dropIfUnused(inode)
    }

    /// A handle was opened on `item` (re-adopted if the node let it go meanwhile).
    mutating func opened(_ inode: UInt64, _ item: MediaItem) {
        nodes[inode]?.opens += 1
        if nodes[inode]?.item == nil { nodes[inode]?.item = item }
    }

    mutating func released(_ inode: UInt64) {
        guard var node = nodes[inode] else { return }
        node.opens = max(0, node.opens - 1)
        nodes[inode] = node
        dropIfUnused(inode)
    }

    private mutating func dropIfUnused(_ inode: UInt64) {
        guard let node = nodes[inode], node.lookups == 0, node.opens == 0, node.pending == 0 else { return }
        nodes.removeValue(forKey: inode)
        byKey.removeValue(forKey: node.key)
        if let item = node.item { retired[node.key] = Retired(item) }
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
