/// The item catalogue, uploads, and the opaque CDN keys handed out as video_url.
struct CDNEntry: Sendable {
    let id: String
    /// The URL answers 404 until then (the `video404` fault).
    let notFoundUntil: Double?
}

enum CDNLookup: Sendable { case found(SimItem), notYet, unknown }

extension SimulatorState {
    public func items() -> [SimItemInfo] {
        (mediaItems.values.map(\.info) + hdItems.values.map(\.info))
            .sorted { ($0.kind.rawValue, $0.id) < ($1.kind.rawValue, $1.id) }
    }

    func add(_ item: SimItem) {
        if item.kind == .hd { hdItems[item.id] = item } else { mediaItems[item.id] = item }
    }

    func mediaItem(id: String) -> SimItem? { mediaItems[id] }

    func hdItem(id: String) -> SimItem? { hdItems[id] }

    func item(id: String, kind: MediaKind) -> SimItem? {
        let item = kind == .hd ? hdItems[id] : mediaItems[id]
        return item?.kind == kind ? item : nil
    }

    /// Stores an upload under a fresh id; returns the item and its created_at.
    func addUpload(kind: MediaKind, ext: String, bytes: [UInt8]) -> (item: SimItem, createdAt: Int) {
        let item = SimItem(id: MediaID.random(), kind: kind, ext: ext, body: .memory(bytes))
        add(item)
        return (item, Int(now()))
    }

    /// A new opaque CDN key for a video; an armed `video404` fault makes it answer 404 for a while.
    func issueVideoKey(for id: String) -> String {
        var notFoundUntil: Double?
        if !armedVideo404.isEmpty {
            notFoundUntil = now() + armedVideo404[0].seconds
            armedVideo404[0].remaining -= 1
            if armedVideo404[0].remaining <= 0 { armedVideo404.removeFirst() }
        }
        let key = MediaID.randomString(count: 48, from: MediaID.alphabet)
        cdnEntries[key] = CDNEntry(id: id, notFoundUntil: notFoundUntil)
        return key
    }

    func cdnItem(key: String) -> CDNLookup {
        guard let entry = cdnEntries[key], let item = mediaItems[entry.id] else { return .unknown }
        if let until = entry.notFoundUntil, now() < until { return .notYet }
        return .found(item)
    }
}
