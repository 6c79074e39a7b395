import Locking
import Logging
import Synchronization

/// Today's upstream calls per API, as WeChat counts its daily quotas (`QuotaDay`: reset at 00:00 UTC+8), and the
/// optional limit a mount keeps to (`max_calls_per_day`).
///
/// `MediaClient` asks `admit` just before each API call: the check and the count are one step under the lock, so
/// concurrent lookups never overshoot the limit, and a refused call is never sent. Calls to the video CDN are not
/// WeChat API calls and are not counted. Token fetches are not counted either (they go through the token
/// provider, about one every two hours).
///
/// Persistence is someone else's (MediaFS `QuotaStore`): it takes the calls not yet written (`takePending`),
/// adds them to the file and hands back the file's totals (`adopt`), which also brings in the calls of other
/// processes sharing the cache directory. The mutex guards everything in `State`.
public final class QuotaLedger: Sendable {
    /// nil: count only.
    public let limit: Int?
    private let clock: any APIClock
    private let logger: Logger
    private let state: Mutex<State>

    struct State {
        var day: QuotaDay
        /// Every call known today: this process's and what the file said.
        var calls: [String: Int] = [:]
        /// This process's calls of `day` not yet in the file.
        var pending: [String: Int] = [:]
        var refusalLogged = false

        var total: Int { calls.values.reduce(0, +) }

        /// A new quota day starts from zero (calls of the day before are not carried over, even unwritten ones).
        mutating func roll(to today: QuotaDay) {
            guard today != day else { return }
            day = today
            calls = [:]
            pending = [:]
            refusalLogged = false
        }
    }

    public init(limit: Int? = nil, clock: any APIClock = SystemClock(), logger: Logger) {
        self.limit = limit.flatMap { $0 > 0 ? $0 : nil }
        self.clock = clock
        self.logger = logger
        state = Mutex(State(day: QuotaDay(containing: clock.now())))
    }

    /// Whether calls to `endpoint` count: every WeChat API, not the video CDN.
    public static func counts(_ endpoint: String) -> Bool { endpoint != "cdn" }

    /// Counts a call about to be made, or refuses it (nothing counted) when today's calls have reached the limit.
    public func admit(_ endpoint: String) throws(DailyLimitReached) {
        guard Self.counts(endpoint) else { return }
        let now = clock.now()
        let refusal: (DailyLimitReached, log: Bool)? = state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            if let spent = refusalIfSpent(&state) { return spent }
            state.calls[endpoint, default: 0] += 1
            state.pending[endpoint, default: 0] += 1
            return nil
        }
        if let refusal { throw report(refusal) }
    }

    /// Refuses when today's calls have reached the limit, without counting anything (asked before a token is
    /// fetched, so a refused lookup costs no call at all).
    public func check() throws(DailyLimitReached) {
        let now = clock.now()
        let refusal = state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            return refusalIfSpent(&state)
        }
        if let refusal { throw report(refusal) }
    }

    /// Counts a call without any check (a test, or a call made anyway).
    public func record(_ endpoint: String, count: Int = 1) {
        guard Self.counts(endpoint), count > 0 else { return }
        let now = clock.now()
        state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            state.calls[endpoint, default: 0] += count
            state.pending[endpoint, default: 0] += count
        }
    }

    /// Today's calls.
    public func snapshot() -> QuotaRecord {
        let now = clock.now()
        return state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            return QuotaRecord(day: state.day, calls: state.calls)
        }
    }

    /// What `.wxmediafs/stats` shows.
    public func status() -> QuotaStatus {
        let record = snapshot()
        return QuotaStatus(day: record.day.description, calls: record.calls, limitPerDay: limit)
    }

    /// This process's calls not yet written, which are now the caller's to write; nil when there are none.
    public func takePending() -> QuotaRecord? {
        let now = clock.now()
        return state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            guard !state.pending.isEmpty else { return nil }
            defer { state.pending = [:] }
            return QuotaRecord(day: state.day, calls: state.pending)
        }
    }

    /// Gives back calls `takePending` handed out that could not be written (they are written next time).
    public func restore(pending record: QuotaRecord) {
        let now = clock.now()
        state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            guard record.day == state.day else { return }
            state.pending.merge(record.calls, uniquingKeysWith: +)
        }
    }

    /// The file's totals (which hold every call written so far, ours included): today's calls become those plus
    /// ours not yet written. A record of another day changes nothing.
    public func adopt(_ record: QuotaRecord) {
        let now = clock.now()
        state.locked { state in
            state.roll(to: QuotaDay(containing: now))
            guard record.day == state.day else { return }
            state.calls = record.calls.merging(state.pending, uniquingKeysWith: +)
        }
    }

    private func refusalIfSpent(_ state: inout State) -> (DailyLimitReached, log: Bool)? {
        guard let limit, state.total >= limit else { return nil }
        let first = !state.refusalLogged
        state.refusalLogged = true
        return (DailyLimitReached(limit: limit, calls: state.total, day: state.day), first)
    }

    /// One warning a day, at the first refusal; the refused requests themselves are not logged again.
    private func report(_ refusal: (DailyLimitReached, log: Bool)) -> DailyLimitReached {
        if refusal.log { logger.warning("\(refusal.0.description); uncached lookups fail with EDQUOT until then") }
        return refusal.0
    }
}

/// A call refused before it was made: today's calls have reached `max_calls_per_day`. Mapped to EDQUOT, as the
/// server's own 45009 is.
public struct DailyLimitReached: Error, Sendable, Equatable, CustomStringConvertible {
    public let limit: Int
    public let calls: Int
    public let day: QuotaDay

    public init(limit: Int, calls: Int, day: QuotaDay) {
        self.limit = limit
        self.calls = calls
        self.day = day
    }

    public var description: String {
        "daily call limit reached: \(calls) upstream calls on \(day) (China time) reach max_calls_per_day = \(limit); "
            + "no upstream call until 00:00 UTC+8"
    }
}
