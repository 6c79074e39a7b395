import Glibc
import MediaCache
import WeChatAPI

extension MediaFileSystem {
    /// Reads a whole item through the cache into `sink` (what `wxmediafs get` does): the same single upstream
    /// call, blocks and errno mapping as a read on the mount.
    /// `wav`: HD voice decoded (`hd/<id>.wav`).
    public func copy(_ id: MediaID, hd: Bool, wav: Bool = false, into sink: some MediaSink) async throws -> MediaHead {
        let attributes = try await lookup(parent: hd || wav ? Inode.hd : Inode.media, name: wav ? "\(id).wav" : id.rawValue)
        defer { forget(attributes.inode, count: 1) }
        let opened = try await open(attributes.inode, flags: O_RDONLY)
        defer { release(handle: opened.handle) }
        guard let item = heldItem(attributes.inode), let info = await item.info else {
            throw FSError(.io, "\(id) vanished while being copied")
        }
        let head = MediaHead(totalSize: info.size, contentType: info.contentType, filename: info.filename,
                             fileExtension: info.fileExtension, rangeSupported: info.rangeSupported, videoURL: info.videoURL)
        try await sink.begin(head)
        var offset: Int64 = 0
        while offset < info.size {
            let bytes = try await read(handle: opened.handle, offset: offset, count: info.blockSize)
            guard !bytes.isEmpty else { throw FSError(.io, "\(id) ended at \(offset) of \(info.size) bytes") }
            try await sink.write(bytes)
            offset += Int64(bytes.count)
        }
        return head
    }
}
