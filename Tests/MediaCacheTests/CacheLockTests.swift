import Foundation
import Testing
@testable import MediaCache

/// The lock of a cache directory: one holder at a time, named in the file, released with the lock object.
@Suite struct CacheLockTests {
    func lock(_ attempt: CacheLock.Attempt) -> CacheLock? {
        if case .acquired(let lock) = attempt { lock } else { nil }
    }

    /// nil when acquired; .some(holder) when held.
    func holder(_ attempt: CacheLock.Attempt) -> CacheLock.Holder?? {
        if case .held(let holder) = attempt { .some(holder) } else { nil }
    }

    @Test func oneHolderAtATimeNamedInTheFile() async throws {
        let directory = temporaryDirectory() + "/cache"
        let first = try #require(lock(try await CacheLock.attempt(directory: directory, as: .mount("/mnt/a"))))
        #expect(try String(contentsOfFile: directory + "/lock", encoding: .utf8) == "\(getpid()) mount /mnt/a\n")
        // A second open file description conflicts even in the same process, as another process would.
        let named = try #require(holder(try await CacheLock.attempt(directory: directory, as: .command("get"))))
        #expect(named == CacheLock.Holder(pid: getpid(), role: .mount("/mnt/a")))
        #expect(named?.description == "the mount on /mnt/a (pid \(getpid()))")
        withExtendedLifetime(first) {}
    }

    @Test func releasingTheLockFreesTheDirectory() async throws {
        let directory = temporaryDirectory()
        // Taken and dropped in a synchronous call: an async frame may keep a value alive past its scope.
        func takeAndDrop() throws -> Bool { lock(try CacheLock.attemptNow(directory: directory, as: .command("get"))) != nil }
        #expect(try takeAndDrop())
        let again = try #require(lock(try await CacheLock.attempt(directory: directory, as: .command("cache stats"))))
        #expect(again.holder.description == "`wxmediafs cache stats` (pid \(getpid()))")
        #expect(exists(directory + "/lock"), "the lock file is never deleted")
    }

    @Test func aLineNamingADeadProcessDoesNotNameTheHolder() async throws {
        let directory = temporaryDirectory()
        let first = try #require(lock(try await CacheLock.attempt(directory: directory, as: .mount("/mnt/a"))))
        // What a new holder's file looks like before it has replaced its predecessor's line.
        try "\(deadPID) mount /mnt/old\n".write(toFile: directory + "/lock", atomically: false, encoding: .utf8)
        let named = try #require(holder(try await CacheLock.attempt(directory: directory, as: .mount("/mnt/b"))))
        #expect(named == nil)
        withExtendedLifetime(first) {}
    }
}
