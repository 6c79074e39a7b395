/// What `/__sim/items` and ``SimulatorState/items()`` tell about one item.
public struct SimItemInfo: Sendable, Codable, Equatable {
    public var id: String
    public var kind: MediaKind
    public var ext: String
    public var size: Int64
    public var contentType: String

    public init(id: String, kind: MediaKind, ext: String, size: Int64, contentType: String) {
        self.id = id
        self.kind = kind
        self.ext = ext
        self.size = size
        self.contentType = contentType
    }
}

/// One downloadable item: fixture, file of a media directory, generated, or uploaded.
struct SimItem: Sendable {
    let id: String
    let kind: MediaKind
    let ext: String
    let contentType: String
    let body: MediaBody

    init(id: String, kind: MediaKind, ext: String, body: MediaBody) {
        self.id = id
        self.kind = kind
        self.ext = ext
        self.contentType = kind.contentType(forExtension: ext)
        self.body = body
    }

    /// A generated item; `index` (its place on the command line) makes the default id deterministic.
    init(generated spec: GeneratedItem, index: Int) {
        let id = spec.resolvedID(index: index)
        self.init(id: id, kind: spec.type, ext: spec.type.defaultExtension,
                  body: .generated(seed: GeneratedBytes.seed(forID: id), size: spec.size))
    }

    var size: Int64 { body.size }

    var info: SimItemInfo {
        SimItemInfo(id: id, kind: kind, ext: ext, size: size, contentType: contentType)
    }
}
