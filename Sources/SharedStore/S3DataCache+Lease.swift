import Foundation
import MediaCache

/// Fetch once per fleet: a host about to call WeChat for an item no tier holds takes the item's lease
/// (`PREFIX/leases/<appid>/<id>`, created with `If-None-Match: *`, holding its host and expiry). A host that finds
/// another's live lease waits for the item's object to land (polling its HEAD), up to `leaseWait`, then fetches
/// itself; an expired lease (its holder died or stalled) is taken over by a write in its place conditional on its
/// ETag (`If-Match`: of several hosts that found it expired, one wins), and the object looked for once more under it.
/// A lease whose object landed stays (no call to delete it; a lifecycle rule on `leases/` clears them, docs/fleet.md):
/// a host that missed the object just before it landed then finds the lease, waits and finds the object at its
/// first look, so a new lease needs no look for the object under it. A lease whose item cannot be had is deleted at
/// once. Any failure of the store lets the caller fetch: a lease never holds a reader longer than its wait.
extension S3DataCache {
    struct Lease: Codable {
        var host: String
        var expires: Double
    }

    static func leaseKey(_ key: CacheKey, appID: String) -> String? {
        ObjectMeta.objectKey(key, appID: appID).map { "leases/" + $0.dropFirst("items/".count) }
    }

    public func claimFetch(_ key: CacheKey) async -> FetchClaim {
        guard leases, let lease = Self.leaseKey(key, appID: appID), let object = ObjectMeta.objectKey(key, appID: appID), isUp() else { return .proceed }
        let deadline = Date().timeIntervalSince1970 + leaseWait
        var tookOver = false, waited = false
        do {
            while Date().timeIntervalSince1970 < deadline {
                let now = Date().timeIntervalSince1970
                let mine = Lease(host: hostID, expires: now + leaseLife)
                let outcome: S3Client.PutOutcome
                do {
                    outcome = try await client.put(lease, bytes: Array(try JSONEncoder().encode(mine)), ifAbsent: true)
                } catch let error as S3Error where error.kind == .conflict {
                    try await Task.sleep(nanoseconds: UInt64(leasePoll * 1e9))  // another host's create under way
                    continue
                }
                if case .created = outcome {
                    _ = state.locked { $0.leases.insert(key) }
                    return .proceed  // a new lease needs no look for the object: a landed object keeps its lease
                }
                // Someone holds it. A lease that cannot be read is taken as live until our bound.
                let current = try await client.get(lease, limit: 4096)
                guard let current else {  // gone since our create (released): claim it again
                    try await Task.sleep(nanoseconds: UInt64(leasePoll * 1e9))
                    continue
                }
                let held = try? JSONDecoder().decode(Lease.self, from: Data(current.bytes))
                if held?.host == hostID { return .proceed }  // this host's own, for another reader of the item
                if let held, held.expires < now, !tookOver {
                    // Its holder is gone: take it over, in its place (once; of hosts doing the same, one wins).
                    tookOver = true
                    let takeover: S3Client.PutOutcome
                    do {
                        takeover = try await client.put(lease, bytes: Array(try JSONEncoder().encode(mine)), ifMatch: current.head.etag)
                    } catch let error as S3Error where error.kind == .conflict || error.kind == .other(status: 404) {
                        // Another host's write in its place under way (409), or the lease gone meanwhile (AWS: 404):
                        // claimed again from the top, never taken as ours.
                        try await Task.sleep(nanoseconds: UInt64(leasePoll * 1e9))
                        continue
                    }
                    guard case .created = takeover else { continue }  // another host's now: wait for it
                    _ = state.locked { $0.leases.insert(key) }
                    // Its holder may have written the object and stalled before the expiry: looked at once more.
                    if try await client.head(object) != nil {
                        await releaseLease(key)
                        state.locked { $0.remote[key] = nil }
                        return .landed
                    }
                    return .proceed
                }
                if !waited {
                    waited = true
                    state.locked { $0.statistics.leaseWaits += 1 }
                }
                // Another host is fetching: wait for the object; every half second see whether its lease is still
                // there (a holder that let go without writing: then claim it), and stop at its expiry or our bound.
                var rounds = 0
                while Date().timeIntervalSince1970 < deadline {
                    try await Task.sleep(nanoseconds: UInt64(leasePoll * 1e9))
                    if try await client.head(object) != nil {
                        state.locked { $0.remote[key] = nil }  // read its fields afresh
                        return .landed
                    }
                    rounds += 1
                    if let held, held.expires + 1 < Date().timeIntervalSince1970 { break }
                    if rounds % 5 == 0, try await client.head(lease) == nil { break }
                }
            }
        } catch {
            failed(error, doing: "lease \(key)")
        }
        return .proceed
    }

    public func releaseClaim(_ key: CacheKey) async { await releaseLease(key) }

    /// Deletes this host's lease of `key`, if it holds one (its object is written, or the item cannot be had).
    func releaseLease(_ key: CacheKey) async {
        guard state.locked({ $0.leases.remove(key) }) != nil, let lease = Self.leaseKey(key, appID: appID) else { return }
        try? await client.delete(lease)
    }
}
