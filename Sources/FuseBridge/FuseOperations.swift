import CFuse
import Foundation
import MediaFS

/// The `fuse_lowlevel_ops` table. Every callback copies its arguments, then answers through `FuseReply`.
enum FuseOperations {
    static func table() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { _, connection in
            // Ask for lookups (and readdirs) of one directory in parallel. Without FUSE_PARALLEL_DIROPS the kernel
            // serialises them per directory: one lookup waiting on a stalled upstream holds every other lookup in
            // media/ (scripts/chaos, item 2). libfuse 3.14 leaves the flag out of its INIT reply whatever `want`
            // says; cfuse.h's custom I/O adds it to that reply. Later libfuse versions send it themselves.
            guard let connection else { return }
            let parallel = UInt32(FUSE_CAP_PARALLEL_DIROPS)
            if connection.pointee.capable & parallel != 0 { connection.pointee.want |= parallel }
        }
        ops.lookup = { request, parent, name in
            guard let request else { return }
            let bridge = bridgeContext(request)
            let name = String(cString: name!)
            bridge.requestArrived()
            let parent = UInt64(parent)
            if let attributes = bridge.fs.lookupNow(parent: parent, name: name) {  // known to the cache: no hop
                return bridge.timed(.lookup) {
                    let reply = FuseReply(request, gate: bridge.gate)
                    if !reply.entry(attributes, timeout: bridge.timeout(for: attributes)) { bridge.fs.forget(attributes.inode, count: 1) }
                }
            }
            let reply = bridge.reply(request)
            bridge.serve(.lookup, reply) {
                do {
                    let attributes = try await bridge.fs.lookup(parent: parent, name: name)
                    if !reply.entry(attributes, timeout: bridge.timeout(for: attributes)), NodeID(attributes.inode).isItem {
                        bridge.fs.forget(attributes.inode, count: 1)  // interrupted meanwhile: the kernel holds nothing
                    }
                } catch let error as FSError where error.errno == .noEntry && (parent == Inode.media || parent == Inode.hd) {
                    reply.negativeEntry(timeout: bridge.negativeTimeout)
                }
            }
        }
        ops.forget = { request, inode, count in
            guard let request else { return }
            let bridge = bridgeContext(request)
            bridge.timed(.forget) { bridge.fs.forget(UInt64(inode), count: count) }
            fuse_reply_none(request)
        }
        ops.forget_multi = { request, count, forgets in
            guard let request else { return }
            let bridge = bridgeContext(request)
            bridge.timed(.forget) {
                for index in 0..<count {
                    let item = forgets![index]
                    bridge.fs.forget(UInt64(item.ino), count: item.nlookup)
                }
            }
            fuse_reply_none(request)
        }
        ops.getattr = { request, inode, _ in
            guard let request else { return }
            let bridge = bridgeContext(request)
            bridge.requestArrived()
            if let attributes = bridge.fs.getattrNow(UInt64(inode)) {  // known to the cache: no hop
                return bridge.timed(.getattr) {
                    FuseReply(request, gate: bridge.gate).attributes(attributes, timeout: bridge.timeout(for: attributes))
                }
            }
            let reply = bridge.reply(request)
            bridge.serve(.getattr, reply) {
                let attributes = try await bridge.fs.getattr(UInt64(inode))
                reply.attributes(attributes, timeout: bridge.timeout(for: attributes))
            }
        }
        ops.readlink = { request, inode in
            guard let request else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            bridge.serve(.readlink, reply) {
                reply.link(try await bridge.fs.readlink(UInt64(inode)))
            }
        }
        ops.open = { request, inode, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let copied = info.pointee
            let flags = cfuse_fi_flags(info)
            if let opened = bridge.fs.openNow(UInt64(inode), flags: flags) {  // known to the cache: no hop
                return bridge.timed(.open) {
                    let reply = FuseReply(request, gate: bridge.gate)
                    if !reply.open(copied, handle: opened.handle, keepCache: opened.keepCache, directIO: opened.directIO) {
                        bridge.fs.discard(handle: opened.handle)
                    }
                }
            }
            let reply = bridge.reply(request)
            let caller = callerID(request)
            bridge.serve(.open, reply) {
                let opened = try await bridge.fs.open(UInt64(inode), flags: flags, caller: caller)
                if !reply.open(copied, handle: opened.handle, keepCache: opened.keepCache, directIO: opened.directIO) {
                    bridge.fs.discard(handle: opened.handle)  // the kernel never got the handle: never releases it
                }
            }
        }
        ops.read = { request, _, size, offset, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            let handle = cfuse_fi_fh(info)
            let ordinary: @Sendable () async throws -> Void = {
                reply.bytes(try await bridge.fs.read(handle: handle, offset: Int64(offset), count: size))
            }
            guard bridge.fs.holdsWhole(handle: handle) else { return bridge.serve(.read, reply, ordinary) }
            bridge.serveBlocking(.read, reply, on: BridgeContext.cachedReads, {
                guard let bytes = bridge.fs.readWholeCached(handle: handle, offset: Int64(offset), count: size) else { return false }
                reply.bytes(bytes)
                return true
            }, otherwise: ordinary)
        }
        ops.release = { request, _, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            bridge.timed(.release) { bridge.fs.release(handle: cfuse_fi_fh(info)) }
            fuse_reply_err(request, 0)
        }
        ops.opendir = { request, inode, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let reply = bridge.reply(request)
            let copied = info.pointee
            bridge.serve(.opendir, reply) {
                let entries = try await bridge.fs.readdir(UInt64(inode))
                reply.open(copied, handle: bridge.openDirectory(entries), keepCache: false, directIO: false)
            }
        }
        ops.readdir = { request, _, size, offset, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            let reply = FuseReply(request, gate: bridge.gate)
            bridge.timed(.readdir) {
                guard let entries = bridge.directory(cfuse_fi_fh(info)) else { return reply.error(.badFile) }
                reply.directory(entries, offset: Int(offset), size: size)
            }
        }
        ops.releasedir = { request, _, info in
            guard let request, let info else { return }
            let bridge = bridgeContext(request)
            bridge.timed(.releasedir) { bridge.closeDirectory(cfuse_fi_fh(info)) }
            fuse_reply_err(request, 0)
        }
        ops.statfs = { request, _ in
            guard let request else { return }
            let bridge = bridgeContext(request)
            bridge.timed(.statfs) {
                // `df` shows the cache: its budget as the size, what it holds as used.
                let (used, budget) = bridge.fs.cacheCapacity()
                let unit: Int64 = 1 << 20
                var value = statvfs()
                value.f_bsize = UInt(unit)
                value.f_frsize = UInt(unit)
                value.f_blocks = fsblkcnt_t(max(0, budget) / unit)
                value.f_bfree = fsblkcnt_t(max(0, budget - used) / unit)
                value.f_bavail = value.f_bfree
                value.f_namemax = 255
                FuseReply(request, gate: bridge.gate).statfs(value)
            }
        }
        installReadOnly(&ops)
        installUpload(&ops)
        return ops
    }

    /// Everything that would change the tree answers EROFS, except in `upload/` (FuseOperations+Upload.swift).
    static func installReadOnly(_ ops: inout fuse_lowlevel_ops) {
        ops.mknod = { request, _, _, _, _ in fuse_reply_err(request, EROFS) }
        ops.mkdir = { request, _, _, _ in fuse_reply_err(request, EROFS) }
        ops.rmdir = { request, _, _ in fuse_reply_err(request, EROFS) }
        ops.symlink = { request, _, _, _ in fuse_reply_err(request, EROFS) }
        ops.link = { request, _, _, _ in fuse_reply_err(request, EROFS) }
    }
}

/// The user a request comes from.
func callerID(_ request: fuse_req_t) -> UInt32 { fuse_req_ctx(request)?.pointee.uid ?? UInt32.max }

/// The context given to `fuse_session_new`, from a request.
func bridgeContext(_ request: fuse_req_t) -> BridgeContext {
    Unmanaged<BridgeContext>.fromOpaque(fuse_req_userdata(request)!).takeUnretainedValue()
}
