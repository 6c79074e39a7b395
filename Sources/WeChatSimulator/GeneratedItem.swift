/// A large synthetic item, described as "KIND:SIZE[:ID]" (e.g. "video:512M", "image:3M", "hd:1M").
/// Sizes are bytes with an optional binary suffix K, M or G (1K = 1024). Without an id, a deterministic one is
/// derived from the spec's position, so the same command line gives the same ids.
public struct GeneratedItem: Sendable, Equatable {
    public var type: MediaKind
    public var size: Int64
    public var id: String?

    public init(type: MediaKind, size: Int64, id: String? = nil) {
        self.type = type
        self.size = size
        self.id = id
    }

    public init(parsing spec: String) throws {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              let kind = MediaKind(rawValue: parts[0].lowercased()),
              let size = Self.parseSize(parts[1]), size > 0
        else { throw SimulatorError.invalidGenerateSpec(spec) }
        var id: String?
        if parts.count == 3 {
            guard MediaID.isWellFormed(parts[2]) else { throw SimulatorError.invalidGenerateSpec(spec) }
            id = String(parts[2])
        }
        self.init(type: kind, size: size, id: id)
    }

    /// The id the simulator serves this item under when it is the `index`-th generated item (0-based, the order
    /// of ``SimulatorConfiguration/generated`` or of `--generate`): its own id, else one derived from
    /// (type, index, size), so the same command line gives the same ids.
    public func resolvedID(index: Int) -> String {
        id ?? MediaID.derived(from: "generated/\(type.rawValue)/\(index)/\(size)")
    }

        static func parseSize(_ text: Substring) -> Int64? {
        var digits = text.uppercased()
        var unit: Int64 = 1
        if let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30][String(last)] {
            unit = 1 << Int64(shift)
            digits.removeLast()
        }
        guard let value = Int64(digits), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : product
    }
}

/// Errors of starting the simulator (never of serving: those are HTTP answers).
public enum SimulatorError: Error, CustomStringConvertible, Sendable {
    case invalidGenerateSpec(String)
    case fixturesMissing
    case unreadableMediaDirectory(String)
    case bindFailed(host: String, port: Int)

    public var description: String {
        switch self {
        case .invalidGenerateSpec(let spec): "invalid --generate spec \"\(spec)\" (want KIND:SIZE[:ID], e.g. video:512M)"
        case .fixturesMissing: "the bundled simulator fixtures are missing"
        case .unreadableMediaDirectory(let path): "cannot read the media directory \(path)"
        case .bindFailed(let host, let port): "the simulator could not listen on \(host):\(port)"
        }
    }
}
