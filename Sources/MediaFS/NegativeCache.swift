import MediaCache

/// Ids that answered "not found" (40007, 46001), each until a deadline; at most `limit` of them
/// (guarded by `MediaFileSystem.negative`'s mutex). Expired entries are pruned as new ones come, and when the
/// limit is reached the entries closest to expiry go first, so memory stays bounded however many bad ids arrive.
/// Entries are keyed by the key's 64-bit hash, not the key (whose id is a 64-character string): a collision, one
/// in billions, would only make a valid id answer ENOENT until its entry expires.
struct NegativeCache {
    let limit: Int
    private var until: [Int: Double] = [:]

    init(limit: Int) { self.limit = max(1, limit) }

    var count: Int { until.count }

    func contains(_ key: CacheKey, now: Double) -> Bool {
        guard let deadline = until[key.hashValue] else { return false }
        return deadline > now
    }

    mutating func insert(_ key: CacheKey, until deadline: Double, now: Double) {
        until[key.hashValue] = deadline
        guard until.count > limit else { return }
        until = until.filter { $0.value > now }
        if until.count > limit * 3 / 4 {
            // Still nearly full of live entries: keep the 3/4 that expire last, so the next prune is far away.
            let keep = until.sorted { $0.value > $1.value }.prefix(limit * 3 / 4)
            until = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
