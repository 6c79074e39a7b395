import Foundation
import MediaCache
import WeChatAPI

/// Open files: opening an item (pinned while open), reading it, releasing it.
extension MediaFileSystem {
    // MARK: files

    /// Opens for reading; files of `upload/` also for writing (by the owner); anything else is EROFS.
    public func open(_ inode: UInt64, flags: Int32, caller: UInt32 = getuid()) async throws -> OpenedFile {
        if Self.isUploadFile(inode) { return try await openUpload(inode, flags: flags, caller: caller) }
        guard flags & O_ACCMODE == O_RDONLY, flags & O_TRUNC == 0 else { throw counted(FSError(.readOnlyFS, "read-only")) }
        switch inode {
        case Inode.root, Inode.media, Inode.hd, Inode.control, Inode.inbox, Inode.upload, Inode.uploadTypes:
            throw FSError(.isDirectory, "a directory")
        case Inode.stats:
            let handle = handles.locked { $0.add(.snapshot(statsDocument())) }
            return OpenedFile(handle: handle, keepCache: false, directIO: true)
        default:
            guard let item = heldItem(inode) else { throw FSError(.noEntry, "unknown inode \(inode)") }
            _ = try await item.ensureInfo()
            context.cache.pin(item.key)
            inodes.locked { $0.opened(inode, item) }
            let handle = handles.locked { $0.add(.item(item, inode: inode)) }
            return OpenedFile(handle: handle, keepCache: true, directIO: false)
        }
    }

    /// An open answered without waiting, or nil when it must wait (`open`): a read-only open of an item the cache
    /// index knows (after a remount, or read before). The bridge answers it in libfuse's own thread, as
    /// `lookupNow`: a hot `cat` of a cached item costs no hop to the cooperative pool at all.
    public func openNow(_ inode: UInt64, flags: Int32) -> OpenedFile? {
        guard NodeID(inode).isItem, flags & O_ACCMODE == O_RDONLY, flags & O_TRUNC == 0,
              let key = inodes.locked({ $0.key(inode) }), context.cache.item(key) != nil,
              let item = heldItem(inode) else { return nil }
        context.cache.pin(item.key)
        inodes.locked { $0.opened(inode, item) }
        let handle = handles.locked { $0.add(.item(item, inode: inode)) }
        return OpenedFile(handle: handle, keepCache: true, directIO: false)
    }

    /// Whether a read of `handle` may go by `readWholeCached`: an open item the cache holds whole (from memory).
    public func holdsWhole(handle: UInt64) -> Bool {
        guard case .item(let item, _)? = handles.locked({ $0.get(handle) }) else { return false }
        return context.cache.holdsWhole(item.key)
    }

    /// A read of an item the cache holds whole, done on the calling thread (one made for disk work: it blocks)
    /// with no actor and no task: every byte comes from the cache, so there is no transfer to share or plan. Nil
    /// when something is not as expected (a block gone meanwhile, a failed check, a read error): the caller then
    /// takes the ordinary path (`read`), which fetches, reports and counts.
    public func readWholeCached(handle: UInt64, offset: Int64, count: Int) -> [UInt8]? {
        guard case .item(let item, _)? = handles.locked({ $0.get(handle) }), let info = context.cache.item(item.key) else { return nil }
        let end = min(info.size, offset + Int64(count))
        guard offset < end else {
            context.counters.read()
            return []
        }
        var result: [UInt8] = []
        var position = offset
        while position < end {
            let block = Int(position / Int64(info.blockSize))
            let inBlock = Int(position - Int64(block) * Int64(info.blockSize))
            let length = min(info.blockLength(block) - inBlock, Int(end - position))
            guard let bytes = try? context.cache.bytesBlocking(item.key, block, range: inBlock..<(inBlock + length)),
                  bytes.count == length else { return nil }
            context.counters.hit()
            if result.isEmpty, position + Int64(length) == end { result = bytes } else { result += bytes }  // one block: no copy
            position += Int64(length)
        }
        context.counters.read()
        return result
    }

    public func read(handle: UInt64, offset: Int64, count: Int) async throws -> [UInt8] {
        context.counters.read()
        switch handles.locked({ $0.get(handle) }) {
        case .snapshot(let bytes):
            guard offset < bytes.count else { return [] }
            return Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + count)])
        case .item(let item, _):
            do {
                return try await item.read(offset: offset, count: count)
            } catch {
                throw counted(error)
            }
        case .local(let descriptor):
            return try Self.readLocal(descriptor, offset: offset, count: count)
        case .upload(let writer):
            return try await writer.read(offset: offset, count: count)
        case nil:
            throw FSError(.badFile, "unknown handle \(handle)")
        }
    }

    public func release(handle: UInt64) {
        switch handles.locked({ $0.remove(handle) }) {
        case .item(let item, let inode)?:
            context.cache.unpin(item.key)
            inodes.locked { $0.released(inode) }
        case .local(let descriptor)?:
            close(descriptor)
        case .upload(let writer)?:
            uploadAtRelease(writer)
        case .snapshot?, nil:
            break
        }
    }

    static func readLocal(_ descriptor: Int32, offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        guard got >= 0 else { throw FSError(.io, "cannot read an uploaded file: \(String(cString: strerror(errno)))") }
        bytes.removeSubrange(got...)
        return bytes
    }
}
