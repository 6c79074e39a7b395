import Foundation

/// What an owner may delete, and how (only the owner calls these; a guest deletes nothing at start).
///
/// - A temporary is deleted when the pid in its name is not a live process (its write can never finish), or when
///   it has not changed for `abandonedAfter` (a write takes milliseconds: that pid was reused by another program).
/// - A folder without a usable meta is live work while young (a stream without Content-Length writes its meta only
///   at its end): it is deleted only when nothing in it changed for `abandonedAfter` and everything in it is ours.
/// - Only names the cache writes are ever unlinked, and folders are removed with `rmdir`, so whatever is not ours
///   (or appeared meanwhile) stays, and so does its folder.
enum CacheCleanup {
    static let abandonedAfter: Double = 3600

    static func isAbandoned(temporary path: String, pid: Int32, now: Double) -> Bool {
        guard ProcessLiveness.isAlive(pid) else { return true }
        guard let status = FileStatus(path) else { return false }
        return now - status.modified >= abandonedAfter
    }

    /// Whether a meta-less folder may go: all ours, and untouched (the folder and every file) for an hour.
    static func isAbandoned(folder: String, names: [String], now: Double) -> Bool {
        guard let status = FileStatus(folder), now - status.modified >= abandonedAfter else { return false }
        return names.allSatisfy { name in
            guard ItemFileName(name) != .foreign, let file = FileStatus(folder + "/" + name) else { return false }
            return file.isRegular && now - file.modified >= abandonedAfter
        }
    }

    /// Unlinks our files of an item folder, then the folder if nothing else is left in it. Temporaries of a live
    /// writer stay (with the folder).
    static func removeItemFolder(_ folder: String, now: Double) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            switch ItemFileName(name) {
            case .meta, .block:
                if FileStatus(path)?.isRegular == true { unlink(path) }
            case .temporary(let pid):
                if isAbandoned(temporary: path, pid: pid, now: now) { unlink(path) }
            case .foreign:
                continue
            }
        }
        rmdir(folder)
    }
}
