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
                    bridge.fs.release(handle: opened.handle)  // the kernel never got the handle
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
        ops.flush = { request, _, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let handle = cfuse_fi_fh(info)
            // Every close on the mount sends a flush: only an upload waits.
            guard bridge.fs.needsFlush(handle: handle) else { return bridge.timed(.flush) { fuse_reply_err(request, 0) } }
            let reply = bridge.reply(request)
            bridge.serve(.flush, reply) {
                try await bridge.fs.flush(handle: handle)
                reply.error(Errno(rawValue: 0))
            }
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
            let name = String(cString: name!)
            bridge.timed(.getxattr) {
                guard let value = bridge.fs.extendedAttributes(UInt64(inode)).first(where: { $0.name == name })?.value else {
                    fuse_reply_err(request, ENODATA)
                    return
                }
                FuseReply(request, gate: bridge.gate).xattr(Array(value.utf8), size: size)
            }
        }
        ops.listxattr = { request, inode, size in
            guard let request else { return }
            let bridge = bridgeContext(request)
            bridge.timed(.getxattr) {
                let names: [UInt8] = bridge.fs.extendedAttributes(UInt64(inode)).flatMap { Array($0.name.utf8) + [UInt8(0)] }
                FuseReply(request, gate: bridge.gate).xattr(names, size: size)
            }
        }
    }
}
