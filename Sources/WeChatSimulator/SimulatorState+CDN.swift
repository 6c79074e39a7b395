/// The video CDN behind `{"video_url":…}`: each URL is `/cdn/<key>?e=<unix-seconds>&s=<signature>`, like a
/// CDN's signed ("URL authentication") links. The edge checks `e` and `s` alone, as a real CDN does without
/// looking anything up, then the key: a bad signature or a past `e` answers 403, an unknown key (or an item
/// that is gone) 404.
struct CDNEntry: Sendable {
    let id: String
    /// Unix seconds, the `e` signed into the URL.
    let expiresAt: Int64
    /// The URL answers 404 until then (the `video404` fault).
    let notFoundUntil: Double?
    /// Set by `/__sim/expire-video-urls`: the URL answers 403 from then on, whatever its `e`
    /// (404 with `?status=404`: some CDNs say an expired address is not found).
    var revoked = false
    var revokedWith404 = false
}

enum CDNLookup: Sendable { case found(SimItem), notYet, unknown, forbidden }

extension SimulatorState {
    /// A new signed URL path (with its query) for a video; an armed `video404` fault makes it answer 404 for a
    /// while.
    func issueVideoURL(for id: String) -> String {
        let time = now()
        var notFoundUntil: Double?
        if !armedVideo404.isEmpty {
            notFoundUntil = time + armedVideo404[0].seconds
            armedVideo404[0].remaining -= 1
            if armedVideo404[0].remaining <= 0 { armedVideo404.removeFirst() }
        }
        // `e` is whole seconds: rounding the issue time up gives every URL at least its TTL of life. A TTL ≤ 0
        // rounds down instead, so such a URL is expired at once (what a test of expiry wants).
        let ttl = Int64(knobs.videoURLTTL)
        let expiresAt = ttl > 0 ? Int64(time.rounded(.up)) + ttl : Int64(time.rounded(.down)) + ttl
        sweepCDNEntries(at: time)
        let key = MediaID.randomString(count: 48, from: MediaID.alphabet)
        cdnEntries[key] = CDNEntry(id: id, expiresAt: expiresAt, notFoundUntil: notFoundUntil)
        return "/cdn/\(key)?e=\(expiresAt)&s=\(cdnSigner.signature(key: key, expires: expiresAt))"
    }

    /// What `GET /cdn/<key>?e=&s=` gets.
    func cdnItem(key: String, expires: Substring?, signature: Substring?) -> CDNLookup {
        guard let expires, let expiresAt = Int64(expires), let signature,
              cdnSigner.signature(key: key, expires: expiresAt) == signature,
              now() < Double(expiresAt)
        else { return .forbidden }
        guard let entry = cdnEntries[key], let item = mediaItems[entry.id] else { return .unknown }
        if entry.revoked { return entry.revokedWith404 ? .notYet : .forbidden }
        if let until = entry.notFoundUntil, now() < until { return .notYet }
        return .found(item)
    }

    /// Every video_url issued so far answers 403 (or 404) from now on; those issued afterwards work.
    public func expireVideoURLs(with404: Bool = false) {
        for key in cdnEntries.keys {
            cdnEntries[key]!.revoked = true
            cdnEntries[key]!.revokedWith404 = with404
        }
    }

    /// Entries past their `e` or revoked can never be served again; dropping them keeps the table bounded by the
    /// URLs still alive. Swept only when the table has doubled, so issuing stays O(1) amortised.
    private func sweepCDNEntries(at time: Double) {
        guard cdnEntries.count >= cdnSweepAt else { return }
        cdnEntries = cdnEntries.filter { !$0.value.revoked && time < Double($0.value.expiresAt) }
        cdnSweepAt = max(1024, cdnEntries.count * 2)
    }
}
