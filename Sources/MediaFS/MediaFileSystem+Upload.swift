import Locking
import Foundation
import MediaCache
import WeChatAPI

/// `upload/<type>/`: copying a file in uploads it (the seed's 5.1). Only the mount's owner may write there;
/// everywhere else the mount stays read-only (EROFS).
///
/// `create` or an open for writing stages the bytes on disk (`UploadWriter`); the last close of the open (the
/// kernel's release) uploads them once. EFBIG above the type's ceiling comes at `write`, EINVAL for a wrong
/// extension at `create`; an upload that fails (an empty file, credentials, transport after retries) is logged
/// at warning and leaves the file listed with `user.wechat.error`, its `user.wechat.media_id` answering the
/// errno. The uploaded file stays readable with xattrs `user.wechat.media_id` and `user.wechat.created_at`
/// (reading them waits for an upload under way), and `media/<id>.<ext>` is served from its copy at once.
extension MediaFileSystem {
    static let mediaIDAttribute = "user.wechat.media_id"
    static let createdAtAttribute = "user.wechat.created_at"
    static let errorAttribute = "user.wechat.error"
    static let contentTypeAttribute = "user.wechat.content_type"

    static func uploadType(of directory: UInt64) -> UploadType? {
        guard Inode.uploadTypes.contains(directory) else { return nil }
        return UploadType.allCases[Int(directory - Inode.uploadTypes.lowerBound)]
    }

    static func uploadDirectory(of type: UploadType) -> UInt64 {
        Inode.uploadTypes.lowerBound + UInt64(UploadType.allCases.firstIndex(of: type)!)
    }

    public static func isUploadDirectory(_ inode: UInt64) -> Bool { Inode.uploadTypes.contains(inode) }

    public static func isUploadFile(_ inode: UInt64) -> Bool { NodeID(inode).isUpload }

    // MARK: names and attributes

    func uploadChild(parent: UInt64, name: String) throws -> FileAttributes {
        guard let uploads else { throw FSError(.noEntry, "no upload/ in this mount") }
        if parent == Inode.upload {
            guard let type = UploadType(rawValue: name) else { throw FSError(.noEntry, "no upload/\(name.prefix(140))") }
            return directory(Self.uploadDirectory(of: type), writable: true)
        }
        guard let type = Self.uploadType(of: parent), let inode = uploads.inode(type, name) else {
            throw FSError(.noEntry, "no upload entry \(name.prefix(140))")
        }
        return try uploadAttributes(inode)
    }

    func uploadAttributes(_ inode: UInt64) throws -> FileAttributes {
        guard let entry = uploads?.entry(inode), !(uploads?.isExpired(entry, now: context.clock.now()) ?? true) else {
            throw FSError(.noEntry, "upload entry \(inode) is gone")
        }
        return FileAttributes(inode: inode, size: entry.size, isDirectory: false, permissions: 0o644, modified: entry.modified)
    }

    func uploadListing(_ inode: UInt64) -> [DirectoryEntry] {
        if inode == Inode.upload {
            return UploadType.allCases.map { DirectoryEntry(name: $0.rawValue, inode: Self.uploadDirectory(of: $0), isDirectory: true) }
        }
        guard let uploads, let type = Self.uploadType(of: inode) else { return [] }
        return uploads.listing(type, now: context.clock.now()).map { DirectoryEntry(name: $0.name, inode: $0.inode, isDirectory: false) }
    }

    // MARK: writing

    /// `creat` in `upload/<type>/`: a new file open for writing.
    public func create(parent: UInt64, name: String, flags: Int32, caller: UInt32) async throws -> (FileAttributes, OpenedFile) {
        guard let uploads, let type = Self.uploadType(of: parent) else {
            throw counted(FSError(.readOnlyFS, "read-only: files are created only in upload/<type>/"))
        }
        try checkOwner(caller)
        guard UploadName.isValid(name, for: type) else {
            throw counted(FSError(.invalid, "upload/\(type.rawValue)/\(name.prefix(140)): \(type.rawValue) uploads need one of the extensions \(type.allowedExtensions.joined(separator: ", "))"))
        }
        let staging = uploads.newStagingPath()
        let descriptor = try openStaging(staging)
        let now = context.clock.now()
        let inode = uploads.add(UploadArea.Entry(type: type, name: name, size: 0, mediaID: nil, createdAt: nil, modified: now, path: staging))
        let clock = context.clock
        let writer = UploadWriter(inode: inode, type: type, name: name, stagingPath: staging, descriptor: descriptor, dirty: true, area: uploads,
                                  now: { clock.now() })
        let handle = handles.locked { $0.add(.upload(writer)) }
        return (try uploadAttributes(inode), OpenedFile(handle: handle, keepCache: false, directIO: false))
    }

    /// Opens a file of `upload/<type>/`: for reading, its bytes as they are; for writing, a staging copy
    /// (empty with O_TRUNC) uploaded again at close if it changes.
    func openUpload(_ inode: UInt64, flags: Int32, caller: UInt32) async throws -> OpenedFile {
        guard let uploads, let entry = uploads.entry(inode) else { throw FSError(.noEntry, "upload entry \(inode) is gone") }
        if flags & O_ACCMODE == O_RDONLY, flags & O_TRUNC == 0 {
            let descriptor = Glibc.open(entry.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw counted(FSError(.io, "upload/\(entry.type.rawValue)/\(entry.name): \(String(cString: strerror(errno)))")) }
            return OpenedFile(handle: handles.locked { $0.add(.local(descriptor)) }, keepCache: false, directIO: false)
        }
        try checkOwner(caller)
        let staging = uploads.newStagingPath()
        let descriptor = try openStaging(staging)
        let truncating = flags & O_TRUNC != 0
        if !truncating, !copyFile(from: entry.path, to: descriptor) {
            close(descriptor)
            Glibc.unlink(staging)
            throw counted(FSError(.io, "upload/\(entry.type.rawValue)/\(entry.name): cannot stage a copy"))
        }
        let clock = context.clock
        let writer = UploadWriter(inode: inode, type: entry.type, name: entry.name, stagingPath: staging, descriptor: descriptor,
                                  dirty: false, area: uploads, now: { clock.now() })
        if truncating {
            do { try await writer.truncate(to: 0) } catch {
                await writer.close()
                throw counted(error)
            }
        }
        return OpenedFile(handle: handles.locked { $0.add(.upload(writer)) }, keepCache: false, directIO: false)
    }

    public func write(handle: UInt64, offset: Int64, bytes: [UInt8]) async throws -> Int {
        guard case .upload(let writer)? = handles.locked({ $0.get(handle) }) else {
            throw counted(FSError(.badFile, "handle \(handle) is not open for writing"))
        }
        do {
            return try await writer.write(bytes, at: offset)
        } catch {
            throw counted(error)
        }
    }

    /// The last close of an open for writing (the kernel's release): uploads what changed, once. Nobody waits
    /// for the release; what asks for the file's id (`user.wechat.media_id`) waits for this upload instead.
    func uploadAtRelease(_ writer: UploadWriter) {
        guard let uploads, let uploader else {
            Task { await writer.close() }
            return
        }
        uploads.startUpload(writer.inode) { [self] in
            do {
                if let id = try await writer.flush(using: uploader, seed: { [self] entry, path in await seedCache(entry, from: path) }) {
                    context.logger.info("uploaded upload/\(writer.type.rawValue)/\(writer.name) as \(id)")
                }
            } catch {
                let failure = FSError(error)
                context.logger.warning("upload of upload/\(writer.type.rawValue)/\(writer.name) failed: \(failure.message)")
                context.counters.error(failure.errno)
                await writer.uploadFailed(failure)
            }
            await writer.close()
        }
    }

    /// A close of an upload open (the FUSE flush, which `close()` waits for; the release and its upload come
    /// after): the file's id is now expected, so asking for it waits for the upload.
    public func closing(handle: UInt64) {
        guard case .upload(let writer)? = handles.locked({ $0.get(handle) }) else { return }
        uploads?.expect(writer.inode)
    }

    /// An open the kernel never got (its create or open answer was interrupted): dropped without uploading.
    public func discard(handle: UInt64) {
        if case .upload(let writer)? = handles.locked({ $0.get(handle) }) {
            _ = handles.locked { $0.remove(handle) }
            uploads?.unexpect(writer.inode)
            Task { await writer.close() }
        } else {
            release(handle: handle)
        }
    }

    /// `truncate`/`ftruncate` and attribute changes. Only files of `upload/` change, and only their size; other
    /// attribute changes (`cp -p`'s times and mode) are accepted and ignored there. Elsewhere: EROFS.
    public func setattr(_ inode: UInt64, size: Int64?, handle: UInt64?, caller: UInt32) async throws -> FileAttributes {
        guard Self.isUploadFile(inode), uploads != nil else { throw counted(FSError(.readOnlyFS, "read-only")) }
        try checkOwner(caller)
        if let size {
            if let handle, case .upload(let writer)? = handles.locked({ $0.get(handle) }) {
                do { try await writer.truncate(to: size) } catch { throw counted(error) }
            } else if size != (try uploadAttributes(inode)).size {
                throw counted(FSError(.notPermitted, "truncate a file of upload/ through an open descriptor"))
            }
        }
        return try uploadAttributes(inode)
    }

    /// `rm` in `upload/<type>/`: the local copy goes; the media id stays valid on the server (and in `media/`).
    public func unlink(parent: UInt64, name: String, caller: UInt32) throws {
        guard let uploads, let type = Self.uploadType(of: parent) else { throw counted(FSError(.readOnlyFS, "read-only")) }
        try checkOwner(caller)
        guard let inode = uploads.inode(type, name) else { throw FSError(.noEntry, "no upload/\(type.rawValue)/\(name.prefix(140))") }
        uploads.remove(inode)
    }

    // MARK: extended attributes

    /// The extended attributes of a node: an uploaded file's media id and creation time, or why its upload
    /// failed. An upload under way is waited for; one only expected (closed, its release still to come) is
    /// waited for when `awaitingExpected` (a read of `user.wechat.*`: `cp f upload/image/ && getfattr …` sees
    /// the id), never for the ACL and security attributes tools like `cp -a` ask while they copy.
    public func extendedAttributes(_ inode: UInt64, awaitingExpected: Bool = false) async -> [(name: String, value: String)] {
        if let item = await itemAttributes(inode) { return item }
        guard Self.isUploadFile(inode), let uploads else { return [] }
        await uploads.settled(inode, expectWait: awaitingExpected ? 10 : 0)
        guard let entry = uploads.entry(inode) else { return [] }
        if let failure = entry.failure { return [(Self.errorAttribute, failure)] }
        guard let id = entry.mediaID, let created = entry.createdAt else { return [] }
        return [(Self.mediaIDAttribute, id.rawValue), (Self.createdAtAttribute, String(created))]
    }

    /// One extended attribute; nil when the node has none of that name. The media id of a file whose upload
    /// failed answers the failure's errno (`getfattr` then prints it).
    public func extendedAttribute(_ inode: UInt64, name: String) async throws -> String? {
        guard name.hasPrefix("user.wechat.") else { return nil }  // no other attribute exists here: nothing to wait for
        let all = await extendedAttributes(inode, awaitingExpected: true)
        if name == Self.mediaIDAttribute, let entry = uploads?.entry(inode), let code = entry.failureErrno {
            throw FSError(Errno(rawValue: code), entry.failure ?? "the upload failed")
        }
        return all.first { $0.name == name }?.value
    }

    /// A media item's id, content type and creation time (as far as known: the follower message's CreateTime, else
    /// the first fetch), for `getfattr -d`; nil for anything that is not an item known to the cache.
    private func itemAttributes(_ inode: UInt64) async -> [(name: String, value: String)]? {
        guard NodeID(inode).isItem, let key = inodes.locked({ $0.key(inode) }) else { return nil }
        // The cache's index, or the item's actor while its head is still being written there.
        var known = context.cache.item(key)
        if known == nil, let item = inodes.locked({ $0.existingItem(inode) }) { known = await item.info }
        guard let info = known else { return nil }
        let created = info.modified
        return [(Self.mediaIDAttribute, key.id), (Self.contentTypeAttribute, info.contentType ?? "application/octet-stream"),
                (Self.createdAtAttribute, String(Int64(created)))]
    }

    // MARK: helpers

    private func checkOwner(_ caller: UInt32) throws {
        guard caller == context.config.owner else {
            throw counted(FSError(.accessDenied, "only the mount's owner (uid \(context.config.owner)) may write in upload/, not uid \(caller)"))
        }
    }

    private func openStaging(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw counted(FSError(.io, "cannot stage an upload in \(path): \(String(cString: strerror(errno)))")) }
        return descriptor
    }

    private func copyFile(from path: String, to descriptor: Int32) -> Bool {
        let source = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { return false }
        defer { close(source) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) }
            if count == 0 { return true }
            guard count > 0, buffer.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, count) }) == count else { return false }
        }
    }

    /// Puts an uploaded file in the block cache as `media/<id>`, so reading it costs no download call.
    func seedCache(_ entry: UploadArea.Entry, from path: String) async {
        guard let id = entry.mediaID else { return }
        let cache = context.cache
        let key = CacheKey(kind: .media, id: id.rawValue)
        let ext = (entry.name as NSString).pathExtension.lowercased()
        let contentType = UploadType.contentType(forExtension: ext)
        let item = CachedItem(size: entry.size, contentType: contentType, filename: entry.name,
                              fileExtension: MediaExtension.from(contentType: contentType, filename: entry.name), rangeSupported: false,
                              videoURL: nil, fetchedAt: Double(entry.createdAt ?? Int64(context.clock.now())), blockSize: cache.blockSize)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return context.warnings.warn(cause: "seed", "uploaded \(id) is not kept in the cache: cannot open \(path)")
        }
        defer { try? handle.close() }
        do {
            // The blocks first, the meta last: a reader meanwhile finds no item and waits for none, rather than an
            // item whose blocks are missing (which would cost a media/get).
            for block in 0..<item.blockCount() {
                guard let data = try handle.read(upToCount: item.blockLength(block)), data.count == item.blockLength(block) else {
                    throw FSError(.io, "\(path) is shorter than the \(entry.size) bytes uploaded (block \(block))")
                }
                try await cache.store(key, block, CheckedBlock(Array(data)))
            }
            try await cache.storeItem(item, for: key)
        } catch {
            context.warnings.warn(cause: "seed", "uploaded \(id) is not kept in the cache: \(error)")
        }
    }
}
