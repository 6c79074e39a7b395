#if canImport(Glibc)
import Glibc
#endif

/// The start of an item file as read: its header, block table and current meta.
struct ItemFileHead {
    let header: ItemFileFormat.Header
    let entries: [ItemFileFormat.Entry]
    /// The current meta's JSON, nil when none was written yet (or both slots are torn).
    let meta: [UInt8]?
    /// The current meta's slot and generation (slot nil: none).
    let metaSlot: Int?
    let metaGeneration: UInt32
    let fileSize: Int
    let modified: Double

    /// The blocks the table says are here and the file is long enough to hold.
    var blocks: [(index: Int, entry: ItemFileFormat.Entry)] {
        entries.enumerated().compactMap { index, entry in
            entry.length > 0 && entry.length <= header.blockSize && header.blockOffset(index) + entry.length <= fileSize ? (index, entry) : nil
        }
    }
}

/// The blocking operations on one item file (ItemFileFormat.swift), each through `syscall`. Run on `DiskIO`.
enum ItemFile {
    /// A descriptor of `path`, nil if there is none. A symbolic link is never followed (ELOOP).
    static func open(_ path: String, writable: Bool) throws -> Int32? {
        let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0 { return fd }
        if errno == ENOENT { return nil }
        throw CacheIOError(errno: errno, operation: "open \(path)")
    }

    /// The head of the file open at `fd`, or nil when it is not a valid item file of `key` (another format, torn,
    /// another item's file put in its place).
    static func readHead(_ fd: Int32, _ path: String, key: CacheKey) throws -> ItemFileHead? {
        var status = stat()
        _ = try syscall("stat \(path)") { fstat(fd, &status) }
        let size = Int(status.st_size)
        var bytes = try read(fd, path, offset: 0, count: min(size, 4096))
        guard let header = bytes.withUnsafeBytes({ ItemFileFormat.Header.parse($0) }),
              header.identity == ItemFileFormat.identity(key) else { return nil }
        let end = min(size, header.dataOffset)
        if bytes.count < end { bytes += try read(fd, path, offset: bytes.count, count: end - bytes.count) }
        guard bytes.count >= header.metaOffset else { return nil }
        return bytes.withUnsafeBytes { raw in
            let entries = (0..<header.tableCapacity).map { ItemFileFormat.Entry.parse(raw, at: header.entryOffset($0)) }
            // The file may end inside the meta area (nothing written past a record yet).
            let slots = (0..<2).map { slot -> (json: [UInt8], generation: UInt32)? in
                let start = header.slotOffset(slot), end = min(raw.count, start + header.metaCapacity)
                return start < end ? ItemFileFormat.metaJSON(UnsafeRawBufferPointer(rebasing: raw[start..<end])) : nil
            }
            let current = slots.enumerated().compactMap { slot, meta in meta.map { (slot, $0) } }.max { $0.1.generation < $1.1.generation }
            return ItemFileHead(header: header, entries: entries, meta: current?.1.json, metaSlot: current?.0,
                                metaGeneration: current?.1.generation ?? 0, fileSize: size,
                                modified: Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9)
        }
    }

    /// The header and block `block`'s table entry (nil entry: past the table); nil when the header is not valid
    /// for `key`. One read when the entry is near the start (the usual small item), else two.
    static func readEntry(_ fd: Int32, _ path: String, key: CacheKey, block: Int) throws -> (ItemFileFormat.Header, ItemFileFormat.Entry?)? {
        let near = ItemFileFormat.headerSize + (block + 1) * ItemFileFormat.entrySize
        let bytes = try read(fd, path, offset: 0, count: near <= 4096 ? near : ItemFileFormat.headerSize)
        guard let header = bytes.withUnsafeBytes({ ItemFileFormat.Header.parse($0) }), header.identity == ItemFileFormat.identity(key) else {
            return nil
        }
        guard block < header.tableCapacity else { return (header, nil) }
        let entry = near <= 4096 ? bytes : try read(fd, path, offset: header.entryOffset(block), count: ItemFileFormat.entrySize)
        guard entry.count >= (near <= 4096 ? near : ItemFileFormat.entrySize) else { return (header, nil) }
        return entry.withUnsafeBytes { (header, ItemFileFormat.Entry.parse($0, at: near <= 4096 ? header.entryOffset(block) : 0)) }
    }

    /// `count` bytes at `offset`, fewer if the file is shorter. Read straight into the result.
    static func read(_ fd: Int32, _ path: String, offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var filled = 0
            while filled < count {
                let got = try syscall("read \(path)") { pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset + filled)) }
                if got == 0 { break }
                filled += got
            }
            initialized = filled
        }
    }

    static func write(_ fd: Int32, _ path: String, _ bytes: [UInt8], at offset: Int) throws {
        var written = 0
        while written < bytes.count {
            written += try bytes.withUnsafeBytes { raw throws in
                try syscall("write \(path)") { pwrite(fd, raw.baseAddress! + written, raw.count - written, off_t(offset + written)) }
            }
        }
    }

    /// Makes `path` with `header`, an empty table and `meta` (a record, or none), unless something is there
    /// already: written whole to a temporary, then linked into place, so nobody sees it half made and two makers
    /// never clobber each other. Whether this call made it.
    @discardableResult
    static func createIfAbsent(_ path: String, header: ItemFileFormat.Header, meta: [UInt8]?) throws -> Bool {
        let temporary = try writeTemporary(path, header: header, meta: meta)
        defer { unlink(temporary) }
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw CacheIOError(errno: errno, operation: "link \(path)")
    }

    /// The header of the file at `fd` if it is a valid item file of `key`.
    static func readHeader(_ fd: Int32, _ path: String, key: CacheKey) throws -> ItemFileFormat.Header? {
        let bytes = try read(fd, path, offset: 0, count: ItemFileFormat.headerSize)
        return bytes.withUnsafeBytes { raw in
            ItemFileFormat.Header.parse(raw).flatMap { $0.identity == ItemFileFormat.identity(key) ? $0 : nil }
        }
    }

    /// Puts a new file at `path` by rename: what was there goes, with its blocks (a reader holding it still reads it).
    static func replace(_ path: String, header: ItemFileFormat.Header, meta: [UInt8]?) throws {
        let temporary = try writeTemporary(path, header: header, meta: meta)
        do {
            try syscall("rename \(temporary)") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A temporary beside `path` holding the header, an empty table and the meta record in slot 0.
    private static func writeTemporary(_ path: String, header: ItemFileFormat.Header, meta: [UInt8]?) throws -> String {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try syscall("create \(temporary)") { Glibc.open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        var failure: (any Error)?
        do {
            // The table between them is not written: a hole reads as zeros (absent entries) and takes no disk.
            try write(fd, temporary, header.encoded(), at: 0)
            try write(fd, temporary, meta ?? [UInt8](repeating: 0, count: ItemFileFormat.metaHeaderSize), at: header.metaOffset)
        } catch {
            failure = error
        }
        do { try CacheFiles.closeOnce(fd, "close \(temporary)") } catch { failure = failure ?? error }
        if let failure {
            unlink(temporary)
            throw failure
        }
        return temporary
    }

    /// A writable descriptor of `path`, nil if there is none. Something unreadable in its place that is neither a
    /// file nor a folder (a link: ELOOP) is replaced by `fresh` first, so the item can be kept again.
    static func openForWriting(_ path: String, fresh: () -> ItemFileFormat.Header) throws -> Int32? {
        do {
            return try open(path, writable: true)
        } catch let error as CacheIOError where error.errno == ELOOP {
            try replace(path, header: fresh(), meta: nil)
            return try open(path, writable: true)
        }
    }

    /// Writes a block's data, then its table entry (a reader trusts the entry only once the data is there), if the
    /// table has no entry for it yet: a block's bytes never change once vouched for. Whether the file now holds
    /// exactly this block.
    static func writeBlock(_ fd: Int32, _ path: String, header: ItemFileFormat.Header, block: Int, _ checked: CheckedBlock,
                           present: ItemFileFormat.Entry) throws -> Bool {
        let wanted = ItemFileFormat.Entry(length: checked.bytes.count, checksum: checked.checksum)
        guard present.length == 0 else { return present == wanted }
        guard checked.bytes.count > 0, checked.bytes.count <= header.blockSize, block < header.tableCapacity else { return false }
        try write(fd, path, checked.bytes, at: header.blockOffset(block))
        try write(fd, path, wanted.encoded(), at: header.entryOffset(block))
        return true
    }

    /// Marks a block absent (its data is left; the table no longer vouches for it).
    static func clearEntry(_ fd: Int32, _ path: String, header: ItemFileFormat.Header, block: Int) throws {
        try write(fd, path, ItemFileFormat.Entry.absent.encoded(), at: header.entryOffset(block))
    }

    /// A block's data read whole and checked against `entry`; nil when it is short or its checksum fails.
    static func readCheckedBlock(_ fd: Int32, _ path: String, header: ItemFileFormat.Header, block: Int,
                                 entry: ItemFileFormat.Entry) throws -> CheckedBlock? {
        let data = try read(fd, path, offset: header.blockOffset(block), count: entry.length)
        guard data.count == entry.length, data.withUnsafeBytes({ CRC32C.checksum($0) }) == entry.checksum else { return nil }
        return CheckedBlock(bytes: data, checksum: entry.checksum)
    }
}
