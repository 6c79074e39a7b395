import MediaCache

/// WeChat's rules for what a cached item still is, in one place: temporary media live 3 days after their
/// creation; an item the server said is gone stays readable only where cached; a listing shows only names
/// whose read can succeed. The cache tiers store; these rules decide.
struct MediaLife: Sendable {
    /// Seconds after creation when the server has certainly deleted an item (`CachedItem.mediaLife`).
    let seconds: Double

    /// The items of `summaries` a listing shows: those readable whole from the cache, and those the server may
    /// still have (younger than the life, not reported gone). An incomplete item past its life could only fail.
    /// `created`: creation times known from elsewhere (a follower message's CreateTime), by id: an item is as
    /// old as the earlier of that and its first fetch.
    func listable(_ summaries: [ItemSummary], now: Double, created: [String: Int64]) -> [ItemSummary] {
        summaries.filter { summary in
            let born = created[summary.key.id].map { min(Double($0), summary.fetchedAt) } ?? summary.fetchedAt
            return summary.isComplete || (summary.goneAt == nil && now - born < seconds)
        }
    }

    /// A message (or anything created at `time`) the server may still have the media of.
    func isYoung(createdAt time: Double, now: Double) -> Bool { now - time < seconds }
}
