import Foundation
import MediaCache
import MediaFS

/// How each command takes its part of a cache directory shared by several processes (the rule and its reasons:
/// MediaCache/CacheLock.swift). A refusal is EBUSY (exit status 16), one line naming the holder.
enum CacheOwnership {
    /// A mount started while a `get` or `cache` run holds the lock waits this long for it to end.
    static let mountWait: Duration = .seconds(5)
    static let poll: Duration = .milliseconds(100)

    /// A mount owns the cache for its life: refused at once if another mount holds it; waits up to `mountWait`
    /// for a shorter-lived command, then refused.
    static func forMount(directory: String, mountpoint: String) async throws -> CacheAccess {
        let absolute = URL(fileURLWithPath: mountpoint).standardizedFileURL.path
        let deadline = ContinuousClock.now + mountWait
        while true {
            switch try await CacheLock.attempt(directory: directory, as: .mount(absolute)) {
            case .acquired(let lock):
                return .owner(lock)
            case .held(let holder):
                if holder?.isMount == true || ContinuousClock.now >= deadline {
                    let advice = holder?.isMount == false ? "try again when it has finished" : "give each mount its own --cache-dir"
                    throw busy(directory, holder, advice: advice)
                }
                try await Task.sleep(for: poll)
            }
        }
    }

    /// `get`, `cache stats|verify`: the owner if the lock is free (cleanup, eviction), else a guest.
    static func forCommand(directory: String, command: String) async throws -> CacheAccess {
        switch try await CacheLock.attempt(directory: directory, as: .command(command)) {
        case .acquired(let lock): .owner(lock)
        case .held: .guest
        }
    }

    /// `cache clear` deletes what others may be using: the owner or nothing.
    static func exclusive(directory: String, command: String) async throws -> CacheAccess {
        switch try await CacheLock.attempt(directory: directory, as: .command(command)) {
        case .acquired(let lock): return .owner(lock)
        case .held(let holder): throw busy(directory, holder, advice: "stop it first")
        }
    }

    static func busy(_ directory: String, _ holder: CacheLock.Holder?, advice: String) -> FSError {
        let who = holder.map(\.description) ?? "another wxmediafs process"
        return FSError(Errno(rawValue: EBUSY), "cache directory \(directory) is in use by \(who); \(advice)")
    }
}
