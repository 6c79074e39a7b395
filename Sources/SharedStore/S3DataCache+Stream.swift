import Foundation
import MediaCache

/// Items too large to stage whole (a long video): written to the store in parts as their blocks come in order, so
/// memory holds a part or a few, never the item. A multipart upload takes parts of `partBlocks` blocks (8 MiB at
/// 1 MiB blocks; S3 wants 5 MiB or more but for the last); blocks that come ahead wait (at most `earlyBlocks`:
/// a video's readahead runs several transfers at once); anything else (a reader that jumped, a store slower than the reads, blocks that stop coming)
/// abandons the upload, counted as a dropped write. The checksums are known only at the end, so they go into the
/// item's table object (`crcs/…`), written for the completed object's ETag before the name marker: a reader serves
/// nothing of it until the table for that very object is there.
extension S3DataCache {
    struct Stream {
        var item: CachedItem
        var next = 0
        var buffer: [UInt8] = []
        var part = 0
        var early: [Int: CheckedBlock] = [:]
        var checksums: [UInt32] = []
        var parts: AsyncStream<(number: Int, bytes: [UInt8])>.Continuation
        var since: Double
        var failed = false
        /// Bytes of parts handed to the upload and not yet sent.
        var queued = 0
    }

    static let earlyBlocks = 64
    static let queuedParts = 8
    var partBlocks: Int { max(1, (8 << 20) / blockSize) }

    /// Whether `key`'s upload has `queuedParts` parts waiting: its next block waits for the store (up to
    /// `queueWait`), then the upload is abandoned: memory stays bounded and a reader is held only that long.
    func streamQueueFull(_ key: CacheKey) -> Bool {
        state.locked { state in
            guard let stream = state.streams[key], !stream.failed else { return false }
            return stream.queued >= Self.queuedParts * partBlocks * blockSize
        }
    }

    static let queueWait: Double = 5

    /// Takes `block` of a streamed item (true), or says the item is not streamed (false).
    func streamed(_ key: CacheKey, _ block: Int, _ data: CheckedBlock) -> Bool {
        state.locked { state in
            abandonStale(&state)
            guard let stream = state.streams[key] else { return false }
            if !stream.failed, stream.queued >= Self.queuedParts * partBlocks * blockSize {
                abandon(key, &state, "the store took longer than \(Self.queueWait) s to take a part")
                return true
            }
            accept(key, block, data, &state)
            return true
        }
    }

    /// Starts writing `item` in parts, with the blocks staged so far.
    func startStream(_ key: CacheKey, _ item: CachedItem, _ blocks: [Int: CheckedBlock], _ state: inout State) {
        let (parts, continuation) = AsyncStream<(number: Int, bytes: [UInt8])>.makeStream(bufferingPolicy: .unbounded)
        state.streams[key] = Stream(item: item, parts: continuation, since: Date().timeIntervalSince1970)
        state.uploading.insert(key)
        state.uploads[key] = Task {
            await self.writeParts(key, item, parts)
            self.state.locked { $0.uploading.remove(key); $0.uploads[key] = nil }
        }
        for (index, block) in blocks.sorted(by: { $0.key < $1.key }) { accept(key, index, block, &state) }
    }

    private func accept(_ key: CacheKey, _ index: Int, _ data: CheckedBlock, _ state: inout State) {
        guard var stream = state.streams[key], !stream.failed, index >= stream.next, stream.early[index] == nil else { return }
        guard index < stream.item.blockCount(), data.bytes.count == stream.item.blockLength(index) else {
            return abandon(key, &state, "a block of another length")
        }
        stream.since = Date().timeIntervalSince1970
        if index > stream.next {
            guard stream.early.count < Self.earlyBlocks else { return abandon(key, &state, "its blocks came too far out of order") }
            stream.early[index] = data
            state.streams[key] = stream
            return
        }
        var current: CheckedBlock? = data
        while let block = current {
            stream.buffer += block.bytes
            stream.checksums.append(block.checksum)
            stream.next += 1
            current = stream.early.removeValue(forKey: stream.next)
        }
        let count = stream.item.blockCount(), partSize = partBlocks * blockSize
        while stream.buffer.count >= partSize || (stream.next == count && !stream.buffer.isEmpty) {
            let take = min(stream.buffer.count, partSize)
            stream.part += 1
            let part = Array(stream.buffer[..<take])
            stream.buffer.removeFirst(take)
            stream.queued += part.count
            stream.parts.yield((stream.part, part))
        }
        state.streams[key] = stream
        if stream.next == count { stream.parts.finish() }
    }

    private func abandon(_ key: CacheKey, _ state: inout State, _ why: String = "") {
        guard var stream = state.streams[key], !stream.failed else { return }
        if !why.isEmpty {
            logger.notice("shared store: not archiving \(key): \(why)", metadata: ["block": "\(stream.next)", "of": "\(stream.item.blockCount())"])
        }
        stream.failed = true
        stream.since = Date().timeIntervalSince1970
        stream.buffer = []
        stream.early = [:]
        state.streams[key] = stream
        stream.parts.finish()
    }

    private func abandonStale(_ state: inout State) {
        let now = Date().timeIntervalSince1970
        for (key, stream) in state.streams where now - stream.since > Self.stagingAge {
            if stream.failed { state.streams[key] = nil } else { abandon(key, &state, "no block for \(Self.stagingAge) s") }
        }
    }

    /// Stops the streams whose blocks are not all here (a stop): their uploads are aborted.
    func abandonIncompleteStreams() {
        state.locked { state in
            for (key, stream) in state.streams where stream.next < stream.item.blockCount() { abandon(key, &state, "incomplete at a stop") }
        }
    }

    /// The upload: the parts as they come, then the table and the completion, or an abort.
    private func writeParts(_ key: CacheKey, _ item: CachedItem, _ parts: AsyncStream<(number: Int, bytes: [UInt8])>) async {
        guard let object = ObjectMeta.objectKey(key, appID: appID), let table = ObjectMeta.tableKey(key, appID: appID) else { return }
        var stored = item
        stored.videoURL = nil
        var uploadID: String?, etags: [(number: Int, etag: String)] = []
        do {
            for await (number, bytes) in parts {
                guard isUp() else { break }
                if uploadID == nil {
                    uploadID = try await client.startMultipart(object, contentType: item.contentType,
                                                               metadata: ObjectMeta.encode(stored, checksums: nil, origin: nil))
                }
                etags.append((number, try await client.uploadPart(object, uploadID: uploadID!, number: number, bytes: bytes)))
                state.locked { $0.streams[key]?.queued -= bytes.count }
            }
            let final = state.locked { $0.streams[key] }
            guard let uploadID, let final, !final.failed, final.checksums.count == item.blockCount() else { throw CancellationError() }
            state.locked { _ = $0.streams.removeValue(forKey: key) }
            switch try await client.completeMultipart(object, uploadID: uploadID, parts: etags, ifAbsent: true) {
            case .created(let etag):
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
