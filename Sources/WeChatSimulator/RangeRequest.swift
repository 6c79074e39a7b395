/// `Range: bytes=a-b`, `bytes=a-`, `bytes=-n` against a body of `total` bytes. Several ranges, other units or
/// a malformed header are ignored (full body), as servers commonly do.
enum RangeRequest: Equatable {
    case full
    case partial(Range<Int64>)
    case unsatisfiable

    init(header: String?, total: Int64) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { self = .full; return }
        let spec = header.dropFirst("bytes=".count).trimmingPrefix(" ")
        guard let dash = spec.firstIndex(of: "-") else { self = .full; return }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        switch (Int64(first), Int64(last)) {
        case (nil, let suffix?) where first.isEmpty:
            guard suffix > 0, total > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, total - suffix)..<total)
        case (let start?, nil) where last.isEmpty:
            self = start < total ? .partial(start..<total) : .unsatisfiable
        case (let start?, let end?) where start <= end:
            self = start < total ? .partial(start..<min(end + 1, total)) : .unsatisfiable
        default:
            self = .full
        }
    }
}
