import Locking
import Foundation
import Synchronization
import WeChatAPI

/// The files of `upload/<type>/`: what was copied in, each with the media id its upload got.
///
/// A file being written lives in `<cache>/uploads/staging/<pid>.<n>`; once the server answered with an id it moves
/// to `<cache>/uploads/<type>/<name>` and is listed in `<cache>/uploads/manifest.json` (rewritten atomically), so
/// it stays after a remount until its media life ends. Staging files of processes that are gone are removed at
/// start (a crash mid-copy leaves nothing that grows the cache). Entries are numbered `Inode.uploadBit | n`.
final class UploadArea: Sendable {
    /// One file of `upload/<type>/`.
    struct Entry: Sendable, Codable, Equatable {
        var type: UploadType
        var name: String
        var size: Int64
        /// Set once the server answered; nil while the file is written or sent.
        var mediaID: MediaID?
        var createdAt: Int64?
        var modified: Double
        /// Where its bytes are now: the staging file while written, then the kept copy (not saved).
        var path = ""
        /// Why its upload failed (not saved): the file stays listed, `user.wechat.error` says this, and its
        /// media id attribute answers `failureErrno`.
        var failure: String?
        var failureErrno: Int32?

        enum CodingKeys: String, CodingKey { case type, name, size, mediaID = "mediaId", createdAt, modified }
    }

    let directory: String
    let life: Double
    private let state = Mutex<(entries: [UInt64: Entry], names: [String: UInt64], next: UInt64)>(([:], [:], 1))
    private let staged = Atomic<Int>(0)
    private let saves = Atomic<Int>(0)
    private let onFailure = Mutex<ClosureBox<@Sendable (String) -> Void>?>(nil)
    /// Uploads under way (they run at the file's last close), by inode: what asks for a file's id waits for them.
    /// Each has a number, so an upload that ends removes its own entry, never a later one's. An inode is also
    /// `expected` from the flush of a close that will upload (its release is still to come), so an id asked right
    /// after `close()` waits for the upload instead of answering that there is none.
    private let pending = Mutex<(uploads: [UInt64: (number: Int, task: Task<Void, Never>)], expected: Set<UInt64>, next: Int)>(([:], [], 0))

    init(directory: String, life: Double, now: Double) {
        self.directory = directory
        self.life = life
        for type in UploadType.allCases {
            try? FileManager.default.createDirectory(atPath: "\(directory)/\(type.rawValue)", withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        try? FileManager.default.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        removeAbandonedStaging()
        load(now: now)
    }

    var stagingDirectory: String { directory + "/staging" }
    private var manifestPath: String { directory + "/manifest.json" }
    func keptPath(_ type: UploadType, _ name: String) -> String { "\(directory)/\(type.rawValue)/\(name)" }

    /// A new staging file's path, unique to this process.
    func newStagingPath() -> String {
        "\(stagingDirectory)/\(getpid()).\(staged.add(1, ordering: .relaxed).newValue)"
    }

    // MARK: the table

    func entry(_ inode: UInt64) -> Entry? { state.locked { $0.entries[inode] } }

    func inode(_ type: UploadType, _ name: String) -> UInt64? { state.locked { $0.names["\(type.rawValue)/\(name)"] } }

    /// The names of `upload/<type>/` (files past their media life are no longer listed).
    func listing(_ type: UploadType, now: Double) -> [(name: String, inode: UInt64)] {
        state.locked { state in
            state.entries.filter { $0.value.type == type && !isExpired($0.value, now: now) }
                .map { ($0.value.name, $0.key) }.sorted { $0.name < $1.name }
        }
    }

    func isExpired(_ entry: Entry, now: Double) -> Bool {
        guard let created = entry.createdAt, entry.mediaID != nil else { return false }
        return now - Double(created) >= life
    }

    /// Adds an entry being written under `name` (replacing one of the same name) and returns its number.
    func add(_ entry: Entry) -> UInt64 {
        state.locked { state in
            let inode = Inode.uploadBit | state.next
            state.next += 1
            if let old = state.names["\(entry.type.rawValue)/\(entry.name)"] { state.entries[old] = nil }
            state.entries[inode] = entry
            state.names["\(entry.type.rawValue)/\(entry.name)"] = inode
            return inode
        }
    }

    /// Changes an entry; false when it is gone (removed meanwhile).
    @discardableResult
    func update(_ inode: UInt64, _ change: (inout Entry) -> Void) -> Bool {
        state.locked { state in
            guard state.entries[inode] != nil else { return false }
            change(&state.entries[inode]!)
            return true
        }
    }

    /// Removes an entry and its kept copy; saves the manifest if it was uploaded.
    func remove(_ inode: UInt64) {
        let removed = state.locked { state -> Entry? in
            guard let entry = state.entries.removeValue(forKey: inode) else { return nil }
            let key = "\(entry.type.rawValue)/\(entry.name)"
            if state.names[key] == inode { state.names[key] = nil }
            return entry
        }
        guard let removed else { return }
        if removed.path == keptPath(removed.type, removed.name) { unlink(removed.path) }
        if removed.mediaID != nil { save() }
    }

    // MARK: uploads under way

    /// Starts `body` as the upload of `inode`; its entry is recorded before the task can end.
    func startUpload(_ inode: UInt64, _ body: @escaping @Sendable () async -> Void) {
        pending.locked { state in
            state.next += 1
            let number = state.next
            state.expected.remove(inode)
            state.uploads[inode] = (number, Task { [weak self] in
                await body()
                self?.finished(inode, number)
            })
        }
    }

    private func finished(_ inode: UInt64, _ number: Int) {
        pending.locked { state in
            if state.uploads[inode]?.number == number { state.uploads.removeValue(forKey: inode) }
        }
    }

    /// A close that will upload `inode` at its release (the flush came first).
    func expect(_ inode: UInt64) { _ = pending.locked { $0.expected.insert(inode) } }

    /// The open that was to upload `inode` was dropped instead.
    func unexpect(_ inode: UInt64) { _ = pending.locked { $0.expected.remove(inode) } }

    /// Returns once no upload of `inode` is under way or expected (an expected one at most `expectWait` seconds).
    func settled(_ inode: UInt64, expectWait: Double = 10) async {
        let start = ContinuousClock.now
        while true {
            let (task, expected) = pending.locked { ($0.uploads[inode]?.task, $0.expected.contains(inode)) }
            if let task {
                await task.value
                continue  // ended: its entry went with it (or a newer upload of the inode took its place)
            }
            guard expected, ContinuousClock.now - start < .seconds(expectWait) else { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Returns once no upload at all is under way (before the process exits).
    func settledAll() async {
        while let task = pending.locked({ $0.uploads.values.first?.task }) { await task.value }
    }

    // MARK: persistence

    /// Writes the uploaded entries to the manifest (a temporary file of this save's own, then rename: never half a
    /// manifest, and concurrent saves never share a temporary). A failure is logged at warning through `onFailure`
    /// (the uploads stay listed in this mount; a remount would not know them).
    func save() {
        let done = state.locked { $0.entries.values.filter { $0.mediaID != nil } }.sorted { ($0.type.rawValue, $0.name) < ($1.type.rawValue, $1.name) }
        let temporary = "\(manifestPath).\(getpid()).\(saves.add(1, ordering: .relaxed).newValue).tmp"
        do {
            let data = try JSONEncoder().encode(done)
            guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw FSError(.io, "cannot write \(temporary)")
            }
            guard rename(temporary, manifestPath) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw FSError(.io, "cannot replace \(manifestPath): \(reason)")
            }
        } catch {
            onFailure.locked { $0 }?.body("the upload manifest was not saved (\(error)): a remount will not list these uploads")
        }
    }

    /// Told when the manifest cannot be saved (the filesystem logs it at warning).
    func onSaveFailure(_ report: @escaping @Sendable (String) -> Void) { onFailure.locked { $0 = ClosureBox(report) } }

    private func load(now: Double) {
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let saved = try? JSONDecoder().decode([Entry].self, from: data) else { return }
        var kept = 0
        for var entry in saved where entry.mediaID != nil && UploadName.isValid(entry.name, for: entry.type) {
            entry.path = keptPath(entry.type, entry.name)
            var info = stat()
            guard stat(entry.path, &info) == 0, Int64(info.st_size) == entry.size else { continue }
            if isExpired(entry, now: now) {
                unlink(entry.path)
                continue
            }
            _ = add(entry)
            kept += 1
        }
        if kept != saved.count { save() }
    }

    /// Staging files of processes that no longer run: copies interrupted by a crash.
    private func removeAbandonedStaging() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: stagingDirectory)) ?? [] {
            let pid = name.split(separator: ".").first.flatMap { pid_t($0) } ?? 0
            if pid == getpid() || pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH) { unlink("\(stagingDirectory)/\(name)") }
        }
    }
}

/// The name of a file in `upload/<type>/`: its extension must be one the type accepts (the server checks it too).
enum UploadName {
    static func isValid(_ name: String, for type: UploadType) -> Bool {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.count <= 255 else { return false }
        return type.allowedExtensions.contains((name as NSString).pathExtension.lowercased())
    }
}
