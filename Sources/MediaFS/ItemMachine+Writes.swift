import MediaCache

/// Blocks arriving from streams, their disk writes (bounded, beside the stream), the item's meta writes, and
/// `drain`, which waits for all of them.
extension ItemMachine {
    /// The first `prefix.count` bytes of `block`, still arriving: the readers whose ranges they cover get them now.
    mutating func partialArrived(_ block: Int, _ prefix: [UInt8]) -> [ItemAction] {
        guard let waiters = blockWaiters[block] else { return [] }
        let served = waiters.filter { $0.need <= prefix.count }
        guard !served.isEmpty else { return [] }
        let rest = waiters.filter { $0.need > prefix.count }
        blockWaiters[block] = rest.isEmpty ? nil : rest
        partialServed.insert(block)
        return served.map { .resumeBlock($0.id, .success(prefix)) }
    }

    /// A transfer's stream brought `block` whole. `stream` is the number the stream waits under when the disk
    /// writes are all taken (then it goes on at `.resumeStream(stream)`); `cached`: the cache has it already.
    mutating func blockCommitted(_ block: Int, data: CheckedBlock, transfer: Int, stream: Int, cached: Bool) -> (wait: Bool, actions: [ItemAction]) {
        transfers[transfer]?.next = block + 1
        commits += 1
        if info?.videoURL != nil || pendingHead?.videoURL != nil { url.servedBytes() }
        remember(block, data.bytes)
        var actions = (blockWaiters.removeValue(forKey: block) ?? []).map { ItemAction.resumeBlock($0.id, .success(data.bytes)) }
        // A partly served block is owed to `drain` until its write is counted (below), never in between.
        let owed = partialServed.remove(block) != nil
        var wait = false
        if cached {
            forgetLanding(block)
        } else if storing < settings.maxPendingStores {
            // The disk write runs beside the stream (at most `maxPendingStores` at once, then the stream waits),
            // so the network and the disk work in parallel; readers find the block in `landing` meanwhile.
            storing += 1
            actions.append(.storeBlock(block, data))
        } else {
            queuedStores.append((stream, block, data))
            wait = true
        }
        if owed { actions += writeEnded() }
        return (wait, actions)
    }

    /// A block's disk write ended (`stored`: it is in the cache; else the disk refused it and it stays in memory).
    mutating func blockStored(_ block: Int, stored: Bool) -> [ItemAction] {
        if stored { forgetLanding(block) }
        storing -= 1
        var actions: [ItemAction] = []
        if !queuedStores.isEmpty {
            let next = queuedStores.removeFirst()
            storing += 1
            actions += [.storeBlock(next.block, next.data), .resumeStream(next.stream)]
        }
        return actions + writeEnded()
    }

    mutating func storeMeta(_ item: CachedItem) -> ItemAction {
        writingMeta += 1  // `drain` waits for it too: blocks without their meta are lost at the next start
        return .storeMeta(item)
    }

    mutating func metaStored() -> [ItemAction] {
        writingMeta -= 1
        return writeEnded()
    }

    /// Returns at once when every block received so far is on disk (or refused by it), else when it is.
    mutating func drainWanted(_ waiter: Int) -> [ItemAction] {
        if isDrained { return [.resumeDrain(waiter)] }
        drainWaiters.append(waiter)
        return []
    }

    mutating func writeEnded() -> [ItemAction] {
        guard isDrained else { return [] }
        defer { drainWaiters = [] }
        return drainWaiters.map { .resumeDrain($0) }
    }

    mutating func remember(_ block: Int, _ data: [UInt8]) {
        if landing.updateValue(data, forKey: block) == nil { landingOrder.append(block) }
        while landingOrder.count > settings.memoryBlocks {
            landing.removeValue(forKey: landingOrder.removeFirst())
        }
    }

    mutating func forgetLanding(_ block: Int) {
        guard landing.removeValue(forKey: block) != nil else { return }
        landingOrder.removeAll { $0 == block }
    }
}
