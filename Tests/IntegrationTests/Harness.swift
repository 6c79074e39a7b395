import Locking
import Foundation
import Synchronization

/// Runs real programs for the integration tests, always with a timeout: a broken mount must never hang the suite.
enum Harness {
    /// The built `wxmediafs` (scripts/test exports WXMEDIAFS_BIN; else the debug build of this checkout).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["WXMEDIAFS_BIN"] { return path }
        return FileManager.default.currentDirectoryPath + "/.build/debug/wxmediafs"
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/WeChatSimulator/Fixtures").path

    struct Result {
        var status: Int32
        var output: String
        var error: String
        var timedOut: Bool
    }

    /// Runs a program to completion (or `timeout` seconds, then SIGKILL) and collects its output.
    static func run(_ arguments: [String], timeout: Double = 60, environment: [String: String] = [:], onTimeout: (@Sendable () -> Void)? = nil) async -> Result {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: runBlocking(arguments, timeout: timeout, environment: environment, onTimeout: onTimeout))
            }
        }
    }

    static func runBlocking(_ arguments: [String], timeout: Double, environment: [String: String], onTimeout: (@Sendable () -> Void)?) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { return Result(status: -1, output: "", error: "\(error)", timedOut: false) }
        let outData = Mutex(Data()), errData = Mutex(Data())
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { outData.locked { $0 = out.fileHandleForReading.readDataToEndOfFile() } }
        DispatchQueue.global().async(group: readers) { errData.locked { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            onTimeout?()
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        _ = readers.wait(timeout: .now() + 5)
        // Closed now, not whenever the Process is freed: a suite that leaked them ran the test process up to
        // 1,357 descriptors, where Foundation's Process.run (which scans /proc/self/fd) crashed in memcpy.
        for handle in [out.fileHandleForReading, out.fileHandleForWriting, err.fileHandleForReading, err.fileHandleForWriting] {
            try? handle.close()
        }
        return Result(
            status: process.terminationStatus,
            output: String(decoding: outData.locked { $0 }, as: UTF8.self),
            error: String(decoding: errData.locked { $0 }, as: UTF8.self),
            timedOut: timedOut
        )
    }

    /// Polls `condition` every 50 ms until it holds (true) or `timeout` seconds pass (false): tests wait for a
    /// state, never for a fixed time.
    static func waitFor(timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// Whether `path` is a mountpoint of this filesystem now (from /proc/mounts: no call into the mount).
    static func isMounted(_ path: String) -> Bool {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[1] == path && fields[2] == "fuse.wxmediafs"
        }
    }

    static func sha256(_ path: String) async -> String? {
        let result = await run(["sha256sum", path])
        guard result.status == 0 else { return nil }
        return result.output.split(separator: " ").first.map(String.init)
    }
}

/// A long-running child (the simulator, a mount) whose output lines are watched.
final class Child: @unchecked Sendable {
    let process = Process()
    private let lock = NSCondition()  // guards `lines` and `ended`
    private var lines: [String] = []
    private var errorLines: [String] = []
    private var ended = false
    /// Output pipes read to their end (2 once both are): only then is every line of an ended process here.
    private var closedStreams = 0

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [lock] _ in
            lock.lock()
            self.ended = true
            lock.broadcast()
            lock.unlock()
        }
        try process.run()
        try? out.fileHandleForWriting.close()  // the child has its own copies
        try? err.fileHandleForWriting.close()
        watch(out.fileHandleForReading, error: false)
        watch(err.fileHandleForReading, error: true)
    }

    private func watch(_ handle: FileHandle, error: Bool) {
        Thread.detachNewThread { [self] in
            var pending = Data()
            defer {
                try? handle.close()  // at its end: see runBlocking
                lock.lock()
                closedStreams += 1
                lock.broadcast()
                lock.unlock()
            }
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lock.lock()
                    if error { errorLines.append(line) } else { lines.append(line) }
                    lock.broadcast()
                    lock.unlock()
                }
            }
        }
    }

    /// The first stdout line matching `predicate`, waiting up to `timeout` seconds; nil on timeout or exit.
    func waitForLine(timeout: Double, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let line = lines.first(where: predicate) { return line }
            if ended || !lock.wait(until: deadline) { return lines.first(where: predicate) }
        }
    }

    /// Waits for the process to end (and, briefly, for the last of its output); true if it ended within `timeout`.
    func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !ended {
            if !lock.wait(until: deadline) { return ended }
        }
        // Its output may still be in the pipes (a child holding them open keeps them, hence the bound).
        let drained = Date().addingTimeInterval(2)
        while closedStreams < 2, lock.wait(until: drained) {}
        return true
    }

    var stderrText: String {
        lock.lock()
        defer { lock.unlock() }
        return errorLines.joined(separator: "\n")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }
}
