import MediaCache
import WeChatAPI

/// The upstream side of an item: the tasks that run its transfers and URL refreshes.
extension MediaItem {
    func startTransfer(_ plan: TransferPlan) {
        var request = request
        request.videoURL = plan.videoURL
        request.videoURLIsFresh = plan.videoURLFreshSince.map { context.clock.now() - $0 < MediaRequest.freshURLWindow } ?? false
        let sink = BlockAssembler(item: self, transfer: plan.id, firstBlock: plan.firstBlock, blockSize: blockSize, probeEnd: plan.probeEnd,
                                  demand: partialDemand)
        let downloader: any MediaDownloading = switch MediaKinds.row(key.kind).source {
        case .decodedVoice: context.voice
        case .downloader: context.downloader
        }
        let task = Task.detached {
            do {
                var request = request
                var generation = plan.generation
                var refreshed = false
                while true {
                    do {
                        let range = Self.rest(of: plan, delivered: sink.delivered, end: await self.claimEnd(plan.id), blockSize: sink.blockSize)
                        _ = try await downloader.download(request, range: range, into: sink)
                        break
                    } catch let error as WeChatError where error.kind == .expiredURL && !refreshed {
                        // One refresh per transfer: a URL fresh from media/get that fails again is an error, not a loop.
                        (request.videoURL, generation) = try await self.freshVideoURL(replacing: generation)
                        request.videoURLIsFresh = true
                        refreshed = true
                    }
                }
                try await sink.finish()
            } catch {
                await self.transferFailed(plan.id, error: error)
            }
        }
        track(plan.id, task)
    }

    /// What a transfer still has to ask after a refresh: never what the sink already has, and never past the
    /// blocks it claims (a probe stays a probe).
    static func rest(of plan: TransferPlan, delivered: Int64, end: Int?, blockSize: Int) -> ByteRange? {
        if let range = plan.range { return ByteRange(offset: range.offset + delivered, length: range.length.map { $0 - delivered }) }
        guard delivered > 0 else { return nil }
        let offset = Int64(plan.firstBlock) * Int64(blockSize) + delivered
        guard let end, end != Int.max else { return ByteRange(offset: offset) }
        let limit = Int64(end) * Int64(blockSize)
        return ByteRange(offset: offset, length: max(1, limit - offset))
    }

    /// One media/get in its own task: the transfer that happened to ask may be cancelled, the others still wait.
    func refreshURL() {
        let downloader = context.downloader, request = request
        Task {
            do {
                let url = try await downloader.videoURL(for: request)
                await self.urlArrived(.success(url))
            } catch {
                await self.urlArrived(.failure(FSError(error)))
            }
        }
    }
}
