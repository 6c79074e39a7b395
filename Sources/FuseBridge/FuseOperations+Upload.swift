import CFuse
import Foundation
import MediaFS

/// The operations that write, all for `upload/<type>/` (MediaFileSystem+Upload.swift): create, write, flush
/// (the writer's `close` waits for the upload), setattr, unlink, and the extended attributes that carry an
/// uploaded file's media id. Elsewhere they answer EROFS (or ENODATA for an attribute).
extension FuseOperations {
    static func installUpload(_ ops: inout fuse_lowlevel_ops) {
        ops.create = { request, parent, name, _, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            let name = String(cString: name!)
            let copied = info.pointee
            let flags = cfuse_fi_flags(info)
            let caller = callerID(request)
            bridge.serve(.create, reply) {
                let (attributes, opened) = try await bridge.fs.create(parent: UInt64(parent), name: name, flags: flags, caller: caller)
                if !reply.created(attributes, info: copied, handle: opened.handle) {
                    bridge.fs.discard(handle: opened.handle)  // the kernel never got the handle: no upload
                }
            }
        }
        ops.write = { request, _, buffer, size, offset, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: size))  // libfuse's buffer is gone after return
            let handle = cfuse_fi_fh(info)
            bridge.serve(.write, reply) {
                reply.written(try await bridge.fs.write(handle: handle, offset: Int64(offset), bytes: bytes))
            }
        }
        // Every close sends a flush; none waits: an upload runs at the open's last close (release).
        ops.flush = { request, _, info in
            guard let request else { return }
            let bridge = bridgeContext(request)
            if let info { bridge.fs.closing(handle: cfuse_fi_fh(info)) }
            bridge.timed(.flush) { fuse_reply_err(request, 0) }
        }
        ops.setattr = { request, inode, attributes, toSet, info in
            guard let request, let attributes else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            let size = toSet & FUSE_SET_ATTR_SIZE != 0 ? Int64(attributes.pointee.st_size) : nil
            let handle = info.map { cfuse_fi_fh($0) }
            let caller = callerID(request)
            bridge.serve(.setattr, reply) {
                let changed = try await bridge.fs.setattr(UInt64(inode), size: size, handle: handle, caller: caller)
                reply.attributes(changed, timeout: 0)
            }
        }
        ops.unlink = { request, parent, name in
            guard let request else { return }
            let bridge = bridgeContext(request)
            let name = String(cString: name!)
            let caller = callerID(request)
            bridge.timed(.unlink) {
                do {
                    try bridge.fs.unlink(parent: UInt64(parent), name: name, caller: caller)
                    fuse_reply_err(request, 0)
                } catch {
                    fuse_reply_err(request, FSError(error).errno.rawValue)
                }
            }
        }
        ops.getxattr = { request, inode, name, size in
            guard let request else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            let name = String(cString: name!)
            bridge.serve(.getxattr, reply) {
                guard let value = try await bridge.fs.extendedAttribute(UInt64(inode), name: name) else {
                    return reply.error(Errno(rawValue: ENODATA))
                }
                reply.xattr(Array(value.utf8), size: size)
            }
        }
        ops.listxattr = { request, inode, size in
            guard let request else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            bridge.serve(.getxattr, reply) {
                let names: [UInt8] = await bridge.fs.extendedAttributes(UInt64(inode)).flatMap { Array($0.name.utf8) + [UInt8(0)] }
                reply.xattr(names, size: size)
            }
        }
        // `cp -a` and `install` set ACLs and attributes on what they copy: unsupported on files of upload/ (cp
        // then falls back to chmod, a no-op there), EROFS anywhere else.
        ops.setxattr = { request, inode, _, _, _, _ in
            fuse_reply_err(request, MediaFileSystem.isUploadFile(UInt64(inode)) ? ENOTSUP : EROFS)
        }
        ops.removexattr = { request, inode, _ in
            fuse_reply_err(request, MediaFileSystem.isUploadFile(UInt64(inode)) ? ENOTSUP : EROFS)
        }
        // A rename in upload/ is EXDEV, so `mv` copies (uploading the copy) and deletes; anywhere else EROFS.
        ops.rename = { request, parent, _, newParent, _, _ in
            let inside = MediaFileSystem.isUploadDirectory(UInt64(parent)) && MediaFileSystem.isUploadDirectory(UInt64(newParent))
            fuse_reply_err(request, inside ? EXDEV : EROFS)
        }
    }
}
