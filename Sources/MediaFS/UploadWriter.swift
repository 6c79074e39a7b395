import Foundation
import WeChatAPI

/// A file of `upload/<type>/` open for writing: its bytes go to a staging file on disk (never to memory), and
/// the last close of the open (the kernel's release, after every descriptor sharing it is closed) uploads them
/// once: shell redirection, `dd`, programs that fork while writing upload exactly once. One actor per open.
///
/// A write that fails (EFBIG over the type's ceiling, a full disk) ends the open: the entry leaves `upload/`, and
/// every later write fails with the same errno. An upload that fails leaves the entry listed without an id:
/// `user.wechat.error` says why and `user.wechat.media_id` answers the failure's errno. A failed upload never
/// looks successful.
actor UploadWriter {
    let inode: UInt64
    let type: UploadType
    let name: String
    let stagingPath: String
    private let area: UploadArea
    /// The filesystem's clock (seconds since 1970): modification times and a created_at the server left out.
    private let now: @Sendable () -> Double
    private var descriptor: Int32
    /// Changed since the last upload (a write or a truncation).
    private var dirty: Bool
    private var failure: FSError?

    /// Opens `stagingPath` (made and filled by the caller) for writing.
    init(inode: UInt64, type: UploadType, name: String, stagingPath: String, descriptor: Int32, dirty: Bool, area: UploadArea,
         now: @escaping @Sendable () -> Double) {
        self.now = now
        self.inode = inode
        self.type = type
        self.name = name
        self.stagingPath = stagingPath
        self.descriptor = descriptor
        self.dirty = dirty
        self.area = area
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws -> Int {
        try usable()
        guard offset >= 0, offset + Int64(bytes.count) <= type.sizeLimit else {
            throw fail(FSError(.fileTooLarge, "upload/\(type.rawValue)/\(name): \(type.rawValue) uploads are at most \(type.sizeLimit) bytes"))
        }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        guard written == bytes.count else {
            let code = written < 0 ? errno : ENOSPC
            throw fail(FSError(Errno(rawValue: code), "upload/\(type.rawValue)/\(name): cannot stage the bytes: \(String(cString: strerror(code)))"))
        }
        becameDirty()
        return written
    }

    func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard descriptor >= 0 else { throw FSError(.badFile, "upload/\(type.rawValue)/\(name) is closed") }
        return try MediaFileSystem.readLocal(descriptor, offset: offset, count: count)
    }

    func truncate(to size: Int64) throws {
        try usable()
        guard size >= 0, size <= type.sizeLimit else {
            throw fail(FSError(.fileTooLarge, "upload/\(type.rawValue)/\(name): \(type.rawValue) uploads are at most \(type.sizeLimit) bytes"))
        }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            let code = errno
            throw fail(FSError(Errno(rawValue: code), "upload/\(type.rawValue)/\(name): cannot truncate: \(String(cString: strerror(code)))"))
        }
        becameDirty()
    }

    /// Uploads what was written, if anything changed since the last upload: returns once the server answered
    /// with an id (the writer's `close` waits for this), or throws the failure's errno.
    /// Uploads what was written since the last upload; the media id it got, or nil when there was nothing to send.
    @discardableResult
    func flush(using uploader: any MediaUploading, seed: @Sendable (UploadArea.Entry, String) async -> Void) async throws -> String? {
        try usable()
        guard dirty else { return nil }
        let size = currentSize()
        guard size > 0 else { throw FSError(.invalid, "upload/\(type.rawValue)/\(name) is empty: nothing to upload") }
        let result: UploadResult
        do {
            result = try await uploader.upload(file: stagingPath, type: type, filename: name, progress: nil)
        } catch {
            throw FSError(error)
        }
        dirty = false
        // Kept under its name: a hard link, so this open keeps writing to the staging file if it writes again.
        let kept = area.keptPath(type, name)
        unlink(kept)
        let copied = link(stagingPath, kept) == 0
        let created = result.createdAt ?? Int64(now())
        var uploaded: UploadArea.Entry?
        let present = area.update(inode) { entry in
            entry.size = size
            entry.mediaID = result.mediaID
            entry.createdAt = created
            entry.modified = Double(created)
            entry.path = copied ? kept : stagingPath
            uploaded = entry
        }
        guard present, let uploaded else { return result.mediaID.rawValue }  // removed meanwhile (unlinked): the id is still the answer
        area.save()
        await seed(uploaded, copied ? kept : stagingPath)
        return result.mediaID.rawValue
    }

    /// The upload failed: the entry stays, saying why (its bytes are dropped with the staging file).
    func uploadFailed(_ error: FSError) {
        failure = error
        area.update(inode) { entry in
            entry.failure = error.message
            entry.failureErrno = error.errno.rawValue
        }
    }

    /// The open ends. Bytes changed and never uploaded are dropped with their entry.
    func close() {
        if dirty, failure == nil { area.remove(inode) }
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        unlink(stagingPath)
    }

    private func becameDirty() {
        if !dirty {
            dirty = true
            // From the first change on, the file is no longer what was uploaded: no id until the next upload.
            let kept = area.keptPath(type, name)
            area.update(inode) { entry in
                if entry.path == kept { unlink(kept) }  // the kept copy shares the staging file's bytes now
                entry.mediaID = nil
                entry.createdAt = nil
                entry.path = stagingPath
                entry.failure = nil  // a new try: an earlier upload's failure no longer says anything
                entry.failureErrno = nil
            }
            area.save()
        }
        let size = currentSize()
        area.update(inode) { entry in
            entry.size = size
            entry.modified = now()
        }
    }

    private func currentSize() -> Int64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int64(info.st_size) : 0
    }

    private func usable() throws {
        if let failure { throw failure }
        guard descriptor >= 0 else { throw FSError(.badFile, "upload/\(type.rawValue)/\(name) is closed") }
    }

    private func fail(_ error: FSError) -> FSError {
        failure = error
        area.remove(inode)
        return error
    }
}
