/// The item catalogue, uploads, and items that are gone (`/__sim/expire-media`).
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

    /// Makes `id` (nil: every item) gone, as after its 3-day life: media/get and media/get/jssdk answer 40007,
    /// its video_urls 404, and `/__sim/items` no longer lists it. The item is dropped from both catalogues (a
    /// JSSDK voice is in both under one id) rather than flagged: a gone item is, for every route, an unknown one.
    /// Returns how many catalogue entries went (0 = no such id).
    @discardableResult
    public func expireMedia(id: String?) -> Int {
        let before = mediaItems.count + hdItems.count
        if let id {
            mediaItems[id] = nil
            hdItems[id] = nil
        } else {
            mediaItems = [:]
            hdItems = [:]
        }
        // Their CDN entries could only answer 404 now (the lookup needs the item): drop them too.
        cdnEntries = cdnEntries.filter { mediaItems[$0.value.id] != nil }
        return before - mediaItems.count - hdItems.count
    }

    /// The part `media` of the last upload that had one, whether or not the upload was then accepted.
    public func lastUpload() -> UploadRecord? { lastUploadRecord }

    func recordUpload(_ record: UploadRecord) { lastUploadRecord = record }
}
