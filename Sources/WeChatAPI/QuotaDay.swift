/// The day WeChat counts daily quotas in. They reset at 00:00 China Standard Time (UTC+8, no daylight saving),
/// whatever the host's time zone, so a day here is a number of days since 1970-01-01 in UTC+8, written
/// `2026-11-29`. Pure arithmetic (no Calendar, no TimeZone database): the same answer on every host.
public struct QuotaDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// China Standard Time is UTC+8 all year.
    public static let utcOffset: Int64 = 8 * 3600
    static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 (UTC+8).
    public let number: Int64

    public init(number: Int64) { self.number = number }

    /// Seconds either side of 1970 a time is clamped to (about ±285 million years): no time from outside can
    /// make the conversion or the day arithmetic trap. NaN counts as 1970.
    static let clamp: Double = 0x1p53

    /// The quota day that `time` (seconds since 1970, UTC) falls in.
    public init(containing time: Double) {
        let bounded = time.isNaN ? 0 : min(max(time, -Self.clamp), Self.clamp)
        let seconds = Int64(bounded.rounded(.down)) + Self.utcOffset
        number = Self.floorDivide(seconds, Self.secondsPerDay)
    }

    /// Parses `YYYY-MM-DD`; nil for anything else (or a date that does not exist).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let candidate = QuotaDay(number: Self.days(year: year, month: month, day: day))
        guard candidate.description == text else { return nil }  // 2026-02-30 does not round-trip
        self = candidate
    }

    /// When this day begins: 00:00 UTC+8, in seconds since 1970 (UTC).
    public var start: Double { Double(number * Self.secondsPerDay - Self.utcOffset) }

    public var next: QuotaDay { QuotaDay(number: number + 1) }

    public static func < (lhs: QuotaDay, rhs: QuotaDay) -> Bool { lhs.number < rhs.number }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = Self.civil(number)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let digits = String(year)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "-" + two(month) + "-" + two(day)
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}
