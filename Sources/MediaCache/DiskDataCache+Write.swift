import Foundation
import Locking

extension DiskDataCache {
    public func storeItem(_ item: CachedItem, for key: CacheKey) async throws {
        ensureLoaded(key)
        if try await storeItemPacked(item, key: key) { return }
        let json = [UInt8](try JSONEncoder().encode(item))
        let path = itemPath(key), blockSize = blockSize, count = item.blockCount()
        let nonce = index.locked { $0.entries[key]?.nonce ?? 0 }
        let written = try await DiskIO.run {
            try ItemFile.storeMeta(path, key: key, json: json, blockSize: blockSize, blockCount: count, knownNonce: nonce)
        }
        index.locked { state in
            if let blocks = written.blocks { state.sync(key, nonce: written.nonce, blocks: blocks) }
            state.store(item, key: key)
            state.touch(key)
        }
    }

    /// Writes a block into its item's file, then (owner only) evicts to the budget. Throws `CacheIOError`
    /// (ENOSPC…); the table never vouches for a block whose data did not all reach the file.
    public func store(_ key: CacheKey, block: Int, data: [UInt8]) async throws {
        try await store(key, block, CheckedBlock(data))
    }

    public func store(_ key: CacheKey, _ block: Int, _ checked: CheckedBlock) async throws {
        ensureLoaded(key)
        if try await storePacked(key, block, checked) { return }
        let path = itemPath(key), blockSize = blockSize
        let (nonce, known) = index.locked { state -> (UInt64, CachedItem?) in (state.entries[key]?.nonce ?? 0, state.item(key)) }
        let written = try await DiskIO.run {
            try ItemFile.storeBlock(path, key: key, blockSize: blockSize, known: known, block: block, checked, knownNonce: nonce)
        }
        // A meta that was to wait for these bytes in a pack (stored while this block went to the file): to the file.
        let pending = index.locked { state -> CachedItem? in
            let pending = state.entries[key]?.flags.contains(.metaPending) == true ? state.item(key) : nil
            if let blocks = written.blocks { state.sync(key, nonce: written.nonce, blocks: blocks) }
            guard written.kept, state.entries[key]?.nonce == written.nonce else { return pending }
            // Checked only if written here: the same block found there was written by someone else.
            if state.entries[key]?.blocks[block] == nil || written.wrote {
                state.addBlock(key, index: block, length: checked.bytes.count, verified: written.wrote)
            }
            state.touch(key)
            return pending
        }
        if let pending {
            index.locked { state in _ = state.entries.modify(key) { $0.flags.remove(.metaPending) } }
            try await storeItem(pending, for: key)
        }
        if !written.kept {
            logger.debug("cache: block not kept (the item's file has no room for it, holds other bytes for it, or is not ours)", metadata: ["item": "\(key)", "block": "\(block)"])
        }
        await evictIfOwner()
    }
}
