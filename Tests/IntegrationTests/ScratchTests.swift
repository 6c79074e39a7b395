import Foundation
import Testing
@testable import Scratch

/// The tests' scratch space (Tests/Scratch) must not pile up in /tmp, and must never delete through a mount.
@Suite struct ScratchTests {
    /// A directory left by a process that no longer runs is removed by the next sweep; this process's stays.
    @Test func aDeadProcessesDirectoryIsSwept() async throws {
        let finished = await Harness.run(["sh", "-c", "echo $$"])  // a pid that has ended by now
        let pid = try #require(Int32(finished.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let dead = Scratch.prefix + "\(pid)"
        try FileManager.default.createDirectory(atPath: dead + "/deep/er", withIntermediateDirectories: true)
        try Data("left".utf8).write(to: URL(fileURLWithPath: dead + "/deep/er/file"))
        let own = Scratch.directory("kept")
        Scratch.sweepDeadProcesses()
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: own))
    }

    /// A mount still standing under a scratch directory is detached first; what was inside the mount is not
    /// touched (it is gone from view, not deleted) and the directory goes.
    @Test func aMountUnderScratchIsDetachedNotDeletedThrough() async throws {
        let directory = Scratch.directory("mounted")
        let backing = Scratch.directory("backing")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: backing + "/file"))
        try FileManager.default.createDirectory(atPath: directory + "/point", withIntermediateDirectories: true)
        let bound = await Harness.run(["mount", "--bind", backing, directory + "/point"])
        #expect(bound.status == 0, "\(bound.error)")
        #expect(Scratch.mounts(under: directory) == [directory + "/point"])
        Scratch.remove(directory)
        #expect(Scratch.mounts(under: directory).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(try String(contentsOfFile: backing + "/file", encoding: .utf8) == "keep me")
    }
}
