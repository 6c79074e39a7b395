import Foundation
import MediaCache

/// Items too large to stage whole (a long video): written to the store in parts as their blocks come, read back
/// from the local tier (`local`, the disk cache that took each block first), so memory holds one part, never the
/// item, and a reader never waits for the store. A multipart upload takes parts of `partBlocks` blocks (8 MiB at
/// 1 MiB blocks; S3 wants 5 MiB or more but for the last) once the blocks before them have all come, in any order
/// (a video's readahead runs several transfers at once; a reader that jumped comes back, or the upload goes stale).
/// Each block read back must carry the checksum its transfer gave it; a block the local tier let go before it was
/// written, a block of another length, blocks that stop coming: the upload is abandoned, counted as a dropped write.
/// The checksums are known only at the end, so they go into the item's table object (`crcs/…`), written for the
/// completed object's ETag before the name marker: a reader serves nothing of it until the table for that very
/// object is there.
extension S3DataCache {
    struct Stream {
        var item: CachedItem
        /// Blocks `0..<next` have all come; `sent` of them are handed to the upload as parts.
        var next = 0
        var sent = 0
        /// Blocks that came ahead of `next`: their checksums (their bytes are in the local tier).
        var early: [Int: UInt32] = [:]
        var checksums: [UInt32] = []
        var parts: AsyncStream<Range<Int>>.Continuation
        var since: Double
        var failed = false
        var complete: Bool { next == item.blockCount() }
    }

    var partBlocks: Int { max(1, (8 << 20) / blockSize) }

    /// Starts writing `item` in parts, with the blocks staged so far.
    func startStream(_ key: CacheKey, _ item: CachedItem, _ blocks: [Int: CheckedBlock], _ state: inout State) {
        let (parts, continuation) = AsyncStream<Range<Int>>.makeStream(bufferingPolicy: .unbounded)
        state.streams[key] = Stream(item: item, parts: continuation, since: Date().timeIntervalSince1970)
        state.uploading.insert(key)
        state.uploads[key] = Task {
            await self.writeParts(key, item, parts)
            self.state.locked { $0.uploading.remove(key); $0.uploads[key] = nil }
        }
        for (index, block) in blocks.sorted(by: { $0.key < $1.key }) { accept(key, index, block, &state) }
    }

    /// Takes `block` of an item written in parts (under the state's lock).
    func accept(_ key: CacheKey, _ index: Int, _ data: CheckedBlock, _ state: inout State) {
        guard var stream = state.streams[key], !stream.failed, index >= stream.next, stream.early[index] == nil else { return }
        guard index < stream.item.blockCount(), data.bytes.count == stream.item.blockLength(index) else {
            return abandon(key, &state, "a block of another length")
        }
        stream.since = Date().timeIntervalSince1970
        stream.early[index] = data.checksum
        while let checksum = stream.early.removeValue(forKey: stream.next) {
            stream.checksums.append(checksum)
            stream.next += 1
        }
        while stream.next - stream.sent >= partBlocks || (stream.complete && stream.sent < stream.next) {
            let upper = min(stream.sent + partBlocks, stream.next)
            stream.parts.yield(stream.sent..<upper)
            stream.sent = upper
        }
        state.streams[key] = stream
        if stream.complete { stream.parts.finish() }
    }

    private func abandon(_ key: CacheKey, _ state: inout State, _ why: String = "") {
        guard var stream = state.streams[key], !stream.failed else { return }
        if !why.isEmpty {
            logger.notice("shared store: not archiving \(key): \(why)", metadata: ["block": "\(stream.next)", "of": "\(stream.item.blockCount())"])
        }
        stream.failed = true
        stream.since = Date().timeIntervalSince1970
        stream.early = [:]
        state.streams[key] = stream
        stream.parts.finish()
    }

    func abandonStale(_ state: inout State) {
        let now = Date().timeIntervalSince1970
        for (key, stream) in state.streams where now - stream.since > Self.stagingAge && (stream.failed || !stream.complete) {
            if stream.failed { state.streams[key] = nil } else { abandon(key, &state, "no block for \(Self.stagingAge) s") }
        }
    }

    /// Stops the streams whose blocks are not all here (a stop): their uploads are aborted.
    func abandonIncompleteStreams() {
        state.locked { state in
            for (key, stream) in state.streams where !stream.complete { abandon(key, &state, "incomplete at a stop") }
        }
    }

    /// The bytes of `blocks` read back from the local tier, each with the checksum its transfer gave it (nil, the
    /// upload abandoned: a block the local tier let go of, or holds other bytes of).
    private func partBytes(_ key: CacheKey, _ blocks: Range<Int>) async throws -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(blocks.count * blockSize)
        for index in blocks {
            let expected = state.locked { $0.streams[key].flatMap { $0.failed ? nil : $0.checksums[index] } }
            guard let expected else { return nil }
            guard let block = (try? await local?.block(key, index)) ?? nil, block.checksum == expected else {
                state.locked { abandon(key, &$0, "block \(index) was not in the local cache with the bytes its transfer gave") }
                return nil
            }
            bytes += block.bytes
        }
        return bytes
    }

    /// The upload: the parts as they come, then the table and the completion, or an abort.
    private func writeParts(_ key: CacheKey, _ item: CachedItem, _ parts: AsyncStream<Range<Int>>) async {
        guard let object = ObjectMeta.objectKey(key, appID: appID), let table = ObjectMeta.tableKey(key, appID: appID) else { return }
        var stored = item
        stored.videoURL = nil
        var uploadID: String?, etags: [(number: Int, etag: String)] = [], sent = 0
        do {
            for await blocks in parts {
                guard isUp(), let bytes = try await partBytes(key, blocks) else { throw CancellationError() }
                if uploadID == nil {
                    uploadID = try await client.startMultipart(object, contentType: item.contentType,
                                                               metadata: ObjectMeta.encode(stored, checksums: nil, origin: nil))
                }
                etags.append((etags.count + 1, try await client.uploadPart(object, uploadID: uploadID!, number: etags.count + 1, bytes: bytes)))
                sent += blocks.count
            }
            // Completed only with every block sent: never an object shorter than its fields say.
            let final = state.locked { $0.streams[key] }
            guard let uploadID, let final, !final.failed, sent == item.blockCount(), final.checksums.count == sent else { throw CancellationError() }
            let replacing = state.locked { state in
                state.streams.removeValue(forKey: key)
                return state.damaged.contains(key)  // a damaged object is overwritten, never kept
            }
            switch try await client.completeMultipart(object, uploadID: uploadID, parts: etags, ifAbsent: !replacing) {
            case .created(let etag):
                state.locked { _ = $0.damaged.remove(key) }
                let tag = etag.isEmpty ? (try await client.head(object))?.etag ?? "" : etag
                _ = try await client.put(table, bytes: ObjectMeta.table(final.checksums, etag: tag))
                state.locked { $0.statistics.objectsWritten += 1 }
            case .exists:
                try? await client.abortMultipart(object, uploadID: uploadID)
                state.locked { $0.statistics.objectsExisting += 1 }
            }
            if let name = ObjectMeta.nameKey(key, appID: appID, ext: item.fileExtension) { _ = try await client.put(name, bytes: [], ifAbsent: true) }
            let summary = ItemSummary(key: key, fileExtension: item.fileExtension, fetchedAt: item.fetchedAt, goneAt: nil, isComplete: true)
            state.locked { state in
                state.listed[key] = summary
                state.leases.remove(key)  // kept in the store (see claimFetch)
            }
        } catch {
            // Kept, marked failed, until it is stale: the item's later blocks are let go, not staged anew.
            state.locked { state in
                abandon(key, &state)
                state.statistics.writesDropped += 1
            }
            for await _ in parts {}
            if let uploadID { try? await client.abortMultipart(object, uploadID: uploadID) }
            if !(error is CancellationError) { failed(error, doing: "write \(key) in parts") }
            await releaseLease(key)
        }
    }
}
