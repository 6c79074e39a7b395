import WeChatAPI

/// What made-up media ids may cost. There is no listing API, so any well-formed name is asked of WeChat on
/// lookup, and each answer, "invalid media_id" (40007) included, is a call against the account's daily quota.
/// Real readers ask for ids that exist; a stranger guessing names does not. So ids that turn out invalid are
/// what is rationed, per mount: `burst` of them at once, refilled at `perSecond`, and at most `perDay` in a China
/// day. Once either runs out, lookups of ids this mount knows nothing of (not cached, not named by a recorded
/// message, not being fetched) fail at once with EDQUOT, with no call, until the bucket refills or the day
/// ends; known ids are never held back. Ids that answered 40007 are also left out of `media/`'s listing for
/// the mount's life (`refuted`), so `ls -l` of pushed bogus ids costs one call each, once. Guarded by
/// `MediaFileSystem.unknownIDs`'s mutex.
struct UnknownIDGuard {
    struct Limits: Sendable {
        var burst: Double = 100
        var perSecond: Double = 1
        var perDay = 2_000
        var refutedLimit = 100_000
    }

    let limits: Limits
    private var tokens: Double
    private var updated: Double
    private var day = QuotaDay(number: 0)
    private var invalidToday = 0
    private(set) var refuted = Set<String>()

    init(limits: Limits, now: Double) {
        self.limits = limits
        tokens = limits.burst
        updated = now
    }

    /// Reserves room for one unknown id's lookup (a token and a slot of the day), or says why it is refused.
    /// Reserved before the call, so parallel lookups cannot all pass on the same token; `settle` gives the room
    /// back when the id turns out to exist.
    mutating func reserve(now: Double) -> String? {
        refill(now: now)
        if invalidToday >= limits.perDay {
            return "\(invalidToday) invalid media ids were looked up today (China time), the most a mount allows: lookups of unknown ids wait for tomorrow"
        }
        guard tokens >= 1 else {
            return "too many invalid media ids looked up (more than \(Int(limits.burst)) at once, \(limits.perSecond)/s after): lookups of unknown ids are refused for now"
        }
        tokens -= 1
        invalidToday += 1
        return nil
    }

    /// A lookup's answer: `reserved` (an unknown id's, room taken by `reserve`), `invalid` (40007). Room reserved
    /// for an id that exists (or failed otherwise) is given back; an invalid id that was not reserved (a pushed
    /// one) takes its room now. `listed`: the id is one `media/` lists (only those are refuted from the listing).
    mutating func settle(_ id: String, reserved: Bool, invalid: Bool, listed: Bool, now: Double) {
        refill(now: now)
        if reserved, !invalid {
            tokens = min(limits.burst, tokens + 1)
            invalidToday = max(0, invalidToday - 1)
        } else if !reserved, invalid {
            tokens = max(0, tokens - 1)
            invalidToday += 1
        }
        if invalid, listed {
            if refuted.count >= limits.refutedLimit { refuted.removeAll(keepingCapacity: true) }
            refuted.insert(id)
        } else if !invalid {
            refuted.remove(id)
        }
    }


    private mutating func refill(now: Double) {
        let today = QuotaDay(containing: now)
        if today != day {
            day = today
            invalidToday = 0
        }
        if now > updated { tokens = min(limits.burst, tokens + (now - updated) * limits.perSecond) }
        updated = max(updated, now)
    }
}
