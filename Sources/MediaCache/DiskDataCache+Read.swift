import Foundation
import Locking

extension DiskDataCache {
    /// What one read of a block found in the item's file.
    enum BlockRead: Sendable {
        /// The slice asked for, of a block checked before in this file.
        case slice([UInt8])
        /// The whole block, checked now.
        case checked(CheckedBlock)
        /// The table no longer vouches for it, or the file is gone.
        case absent
        /// Shorter than its item says, or its checksum fails.
        case corrupt(ItemFileFormat.Entry)
        /// Not the file the index knew (made anew by another process): what it holds.
        case changed(nonce: UInt64, blocks: [(index: Int, length: Int)])
        /// Not a valid item file of this item (a torn header, another item's file put in its place), or a file of
        /// another format version (not corruption).
        case invalid(claimsOurs: Bool, otherVersion: Bool)
    }

    /// `range` of block `block` (offsets inside the block), or nil when the block is absent or corrupt (a miss).
    /// Throws when the file cannot be read (see `readFailed`): that read fails, the next one is not doomed.
    public func read(_ key: CacheKey, block: Int, range: Range<Int>) async throws -> [UInt8]? {
        try await DiskIO.run { try self.fetch(key, block, range: range, check: false)?.bytes }
    }

    public func bytes(_ key: CacheKey, _ block: Int, range: Range<Int>) async throws -> [UInt8]? {
        try await read(key, block: block, range: range)
    }

    public func bytesBlocking(_ key: CacheKey, _ block: Int, range: Range<Int>) throws -> [UInt8]? {
        try fetch(key, block, range: range, check: false)?.bytes
    }

    /// Every block is here (from memory; an item not loaded yet during the first scan is not).
    public func holdsWhole(_ key: CacheKey) -> Bool {
        index.locked { $0.entries[key]?.isComplete ?? false }
    }

    /// The whole block, read and checked against its table entry now, with the checksum it was checked against.
    public func block(_ key: CacheKey, _ block: Int) async throws -> CheckedBlock? {
        guard let length = index.locked({ $0.entries[key]?.blocks[block] }) else { return nil }
        return try await DiskIO.run { try self.fetch(key, block, range: 0..<length, check: true)?.checked }
    }

    /// The bytes of `range`, and the whole checked block when it was read whole (a first read, or `check`).
    /// Blocking: runs on a `DiskIO` thread (or the caller's disk thread).
    private func fetch(_ key: CacheKey, _ block: Int, range: Range<Int>, check: Bool, again: Bool = false) throws
        -> (bytes: [UInt8], checked: CheckedBlock?)? {
        ensureLoaded(key)
        let known: (length: Int, verified: Bool, expected: Int?, nonce: UInt64, packed: Bool)? = index.locked { state in
            guard let entry = state.entries[key], let length = entry.blocks[block] else { return nil }
            state.touch(key)
            // The exact length block `block` of this item has, when its size is known.
            let expected = entry.hasItem && entry.blockSize > 0
                ? Int(max(0, min(Int64(entry.blockSize), entry.size - Int64(block) * Int64(entry.blockSize)))) : nil
            return (length, entry.blocks.isVerified(block) && !check, expected, entry.nonce, entry.flags.contains(.packed))
        }
        guard let known else { return nil }
        if known.packed, range.upperBound <= known.length {
            return try fetchPacked(key, block, range: range, location: PackLocation(encoded: known.nonce), length: known.length)
        }
        guard range.upperBound <= known.length else {
            forget(key, block, corrupt: true, nonce: known.nonce)  // shorter than its item says: useless, and must not loop
            return nil
        }
        let path = itemPath(key)
        let outcome: BlockRead
        do {
            outcome = try Self.readBlock(path, key: key, block: block, range: range, known: (known.length, known.verified, known.expected, known.nonce))
        } catch let error as CacheIOError {
            readFailed(key, block, error)
            throw error
        }
        switch outcome {
        case .slice(let bytes):
            return (bytes, nil)
        case .checked(let checked):
            index.locked { state in
                guard state.entries[key]?.nonce == known.nonce else { return }
                state.entries.modify(key) { $0.blocks.markVerified(block, true) }
            }
            return (checked[range], checked)
        case .absent:
            forget(key, block, corrupt: false, nonce: known.nonce)
            return nil
        case .corrupt(let entry):
            logger.warning("cache block failed its check and was dropped", metadata: ["item": "\(key)", "block": "\(block)"])
            forget(key, block, corrupt: true, nonce: known.nonce)
            Self.strike(path, key: key, block: block, entry: entry, nonce: known.nonce)
            return nil
        case .changed(let nonce, let blocks):
            index.locked { $0.sync(key, nonce: nonce, blocks: blocks) }
            return again ? nil : try fetch(key, block, range: range, check: check, again: true)
        case .invalid(let claimsOurs, let otherVersion):
            if !otherVersion { logger.warning("cache: an item file failed its check and was dropped", metadata: ["item": "\(key)"]) }
            index.locked { state in
                let count = state.entries[key]?.blocks.count ?? 0
                state.sync(key, nonce: 0, blocks: [])
                if !otherVersion { state.corruptBlocks += count }
            }
            if claimsOurs, !otherVersion, isOwner { CacheCleanup.removeItemFile(path) }
            return nil
        }
    }

    /// One block read: the header and the block's table entry, then the data.
    private static func readBlock(_ path: String, key: CacheKey, block: Int, range: Range<Int>,
                                  known: (length: Int, verified: Bool, expected: Int?, nonce: UInt64)) throws -> BlockRead {
        guard let fd = try ItemFile.open(path, writable: false) else { return .absent }
        defer { close(fd) }
        guard let (header, entry) = try ItemFile.readEntry(fd, path, key: key, block: block) else {
            let version = try ItemFile.claimedVersion(fd, path)
            return .invalid(claimsOurs: version != 0, otherVersion: version != 0 && version != ItemFileFormat.version)
        }
        guard header.nonce == known.nonce else {
            let blocks = try ItemFile.readHead(fd, path, key: key)?.blocks.map { ($0.index, $0.entry.length) } ?? []
            return .changed(nonce: header.nonce, blocks: blocks)
        }
        guard let entry, entry.length > 0 else { return .absent }
        guard entry.length == known.length, known.expected.map({ $0 == entry.length }) ?? true else { return .corrupt(entry) }
        if known.verified {
            let slice = try ItemFile.read(fd, path, offset: header.blockOffset(block) + range.lowerBound, count: range.count)
            return slice.count == range.count ? .slice(slice) : .corrupt(entry)
        }
        guard let checked = try ItemFile.readCheckedBlock(fd, path, header: header, block: block, entry: entry) else { return .corrupt(entry) }
        return .checked(checked)
    }

    /// A read that failed on the file (not on its content). Out of descriptors or memory, the block stays and a
    /// later read tries the disk again. Otherwise (EACCES, EIO, something else in its place) the block is dropped
    /// from memory only, so a later read is a miss that fetches it again and writes it into the file; the file is
    /// not touched, as it may be fine for another process.
    private func readFailed(_ key: CacheKey, _ block: Int, _ error: CacheIOError) {
        logger.warning("cannot read a cache block: \(error)", metadata: ["item": "\(key)", "block": "\(block)"])
        guard !error.isTransient else { return }
        index.locked { $0.removeBlock(key, index: block) }
    }

    /// Drops a block from memory (if the index still knows the file it was read in).
    func forget(_ key: CacheKey, _ block: Int, corrupt: Bool, nonce: UInt64) {
        index.locked { state in
            guard state.entries[key]?.nonce == nonce else { return }
            state.removeBlock(key, index: block)
            if corrupt { state.corruptBlocks += 1 }
        }
    }

    /// Strikes a corrupt block from its file's table (if the file is still the one it was read in and the entry the
    /// one that failed), so no process trusts it again.
    static func strike(_ path: String, key: CacheKey, block: Int, entry failed: ItemFileFormat.Entry, nonce: UInt64) {
        guard let fd = try? ItemFile.open(path, writable: true) else { return }
        defer { close(fd) }
        guard let (header, entry) = try? ItemFile.readEntry(fd, path, key: key, block: block), header.nonce == nonce, entry == failed else { return }
        try? ItemFile.clearEntry(fd, path, header: header, block: block)
    }
}
