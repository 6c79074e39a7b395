import MediaCache

/// Item inodes (guarded by `MediaFileSystem.inodes`' mutex). Numbers are never reused within a mount;
/// an item stays known after `forget` (its actor keeps the transfers it may still run).
struct InodeTable {
    private var byKey: [CacheKey: UInt64] = [:]
    private var items: [UInt64: MediaItem] = [:]
    private var lookups: [UInt64: UInt64] = [:]
    private var next = Inode.firstItem

    mutating func item(for key: CacheKey, make: () -> MediaItem) -> (UInt64, MediaItem) {
        if let inode = byKey[key], let item = items[inode] { return (inode, item) }
        let inode = next
        next += 1
        let item = make()
        byKey[key] = inode
        items[inode] = item
        return (inode, item)
    }

    func item(_ inode: UInt64) -> MediaItem? { items[inode] }

    var allItems: [MediaItem] { Array(items.values) }

    mutating func looked(_ inode: UInt64) { lookups[inode, default: 0] += 1 }

    mutating func forget(_ inode: UInt64, count: UInt64) {
        let left = (lookups[inode] ?? 0) - min(count, lookups[inode] ?? 0)
        lookups[inode] = left == 0 ? nil : left
    }
}

/// Open files (guarded by `MediaFileSystem.handles`' mutex).
struct HandleTable {
    enum Open {
        case item(MediaItem)
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
