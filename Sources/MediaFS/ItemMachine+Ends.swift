import Logging
import MediaCache
import WeChatAPI

/// How transfers and URL refreshes end, and what follows for the readers still waiting.
extension ItemMachine {
    /// A transfer's stream ended: `total` is the offset it reached (the size, for a first transfer without one).
    mutating func streamEnded(_ transfer: Int, total: Int64, firstBlock: Int, now: Double, created: Double?, present: (Int) -> Bool) -> [ItemAction] {
        transfers.removeValue(forKey: transfer)
        var actions = settlePartials(present: present)
        if info == nil, let head = pendingHead, firstBlock == 0 {
            actions += installEnded(head, size: total, now: now, created: created)
        }
        return actions + reconsiderWaiters(error: nil, present: present)
    }

    /// A transfer failed. One already stopped because nobody waited for it (`blockAbandoned`) is no news.
    mutating func transferFailed(_ transfer: Int, error: FSError, now: Double, present: (Int) -> Bool) -> [ItemAction] {
        guard transfers.removeValue(forKey: transfer) != nil else { return [] }
        var actions = settlePartials(present: present)
        var error = error
        if info != nil, error.errno == .noEntry {
            // A known item the server no longer has (40007 after its 3 days, blocks evicted meanwhile).
            let marked = markGone(error, now: now)
            error = marked.error
            actions += marked.actions
        }
        // Said once already where it was found: no second line at info.
        actions.append(.log(error.logged ? .debug : .info, "transfer of \(settings.key) failed: \(error.message)"))
        if info == nil {
            actions += headWaiters.sorted().map { .resumeHead($0, .failure(error)) }
            headWaiters = []
        }
        return actions + reconsiderWaiters(error: error, present: present)
    }

    /// After a transfer ends: readers of blocks nobody will bring get the error, or a new transfer.
    mutating func reconsiderWaiters(error: FSError?, present: (Int) -> Bool) -> [ItemAction] {
        let error = error ?? gone  // a gone item starts no transfer: its waiters get why
        var actions: [ItemAction] = []
        for block in blockWaiters.keys.sorted() where !isClaimed(block) && landed(block) == nil {
            if let error {
                actions += (blockWaiters.removeValue(forKey: block) ?? []).map { .resumeBlock($0.id, .failure(error)) }
            } else if info != nil {
                actions += schedule(from: block, present: present)
            }
        }
        return actions
    }

    /// Partly served blocks no stream will bring any more: nothing to wait for. A reader that got part of a
    /// block is done, but the block itself is fetched whole once more, so that what was read is cached (as when
    /// readers waited for whole blocks); once only, so a failing upstream cannot loop.
    mutating func settlePartials(present: (Int) -> Bool) -> [ItemAction] {
        let orphans = partialServed.filter { !isClaimed($0) }
        guard !orphans.isEmpty else { return [] }
        var actions: [ItemAction] = []
        var owed: Set<Int> = []
        if info != nil, gone == nil {
            for block in orphans.sorted() where !isPresent(block, present) && !partialRefetched.contains(block) {
                partialRefetched.insert(block)
                actions += schedule(from: block, present: present)
                // Still owed to `drain` until the refetch commits it (or its stream ends too).
                if isClaimed(block) { owed.insert(block) }
            }
        }
        settle(orphans, keeping: owed)
        return actions + writeEnded()
    }

    // MARK: video URLs

    /// A transfer found the video_url of `generation` expired. One media/get serves any number of transfers that
    /// find the same URL expired (they wait for the first one's call); a URL newer than theirs is theirs at once.
    mutating func urlExpired(_ waiter: Int, generation: Int) -> [ItemAction] {
        if let gone { return [.resumeURL(waiter, .failure(gone))] }
        if url.generation > generation, let current = info?.videoURL {
            return [.resumeURL(waiter, .success((current, url.generation)))]
        }
        guard joinRefresh(waiter) else { return [] }
        return [.log(.info, "\(settings.key): its video_url expired; asking media/get for a fresh one"), .refreshURL]
    }

    mutating func urlRefreshed(_ fresh: String, now: Double) -> [ItemAction] {
        newURL(fresh, now: now)
        let result = Result<(url: String, generation: Int), FSError>.success((fresh, url.generation))
        var actions = endRefresh().map { ItemAction.resumeURL($0, result) }
        if var updated = info {
            updated.videoURL = fresh
            actions.append(replaceInfo(updated))
        }
        return actions
    }

    /// The refresh failed; when the server says the item is gone (40007 after its 3 days), it is for good.
    mutating func urlRefreshFailed(_ error: FSError, now: Double) -> [ItemAction] {
        var error = error
        var actions: [ItemAction] = []
        if error.errno == .noEntry {
            let marked = markGone(error, now: now)
            error = marked.error
            actions = marked.actions
        }
        return endRefresh().map { ItemAction.resumeURL($0, .failure(error)) } + actions
    }

    /// The server no longer has this item: cached blocks still read, the rest fails at once with EIO.
    mutating func markGone(_ cause: FSError, now: Double) -> (error: FSError, actions: [ItemAction]) {
        let error = Self.goneError(settings.key, cause.message)
        guard gone == nil else { return (error, []) }
        setGone(error)
        var actions: [ItemAction] = [.log(.warning, "\(settings.key) expired on the server: its cached blocks still read, every other read fails with EIO")]
        if var updated = info {
            updated.goneAt = now
            actions.append(replaceInfo(updated))
        }
        return (error, actions)
    }
}
