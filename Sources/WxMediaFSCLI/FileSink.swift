import Foundation
import WeChatAPI

/// Writes a download to a temporary file renamed into place at the end (or to standard output), with a
/// progress bar on a TTY. A failed download leaves no partial file under the final name.
final class FileSink: MediaSink, @unchecked Sendable {
    private let output: String?
    private let id: MediaID
    private var handle: FileHandle?
    private var temporaryPath: String?
    private var finalPath: String?
    private var total: Int64?
    private(set) var written: Int64 = 0
    private let progress: ProgressBar

    init(output: String?, id: MediaID, quiet: Bool = false) throws {
        self.output = output
        self.id = id
        progress = ProgressBar(String(id.rawValue.prefix(12)), quiet: quiet)
    }

    deinit {
        if let temporaryPath { unlink(temporaryPath) }
    }

    func begin(_ head: MediaHead) async throws {
        total = head.totalSize
        if output == "-" {
            handle = FileHandle.standardOutput
            return
        }
        let path = output ?? "\(id.rawValue).\(head.fileExtension)"
        let temporary = path + ".part-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let opened = FileHandle(forWritingAtPath: temporary) else {
            throw WeChatError(.local, "cannot create \(temporary)")
        }
        handle = opened
        temporaryPath = temporary
        finalPath = path
    }

    func write(_ bytes: [UInt8]) async throws {
        guard let handle else { return }
        do { try handle.write(contentsOf: bytes) } catch { throw WeChatError(.local, "cannot write: \(error.localizedDescription)") }
        written += Int64(bytes.count)
        drawProgress(final: false)
    }

    /// Closes and renames into place; returns the path written.
    func finish() throws -> String {
        drawProgress(final: true)
        guard let temporaryPath, let finalPath else { return "-" }
        try handle?.close()
        guard rename(temporaryPath, finalPath) == 0 else {
            throw WeChatError(.local, "cannot rename into \(finalPath): \(String(cString: strerror(errno)))")
        }
        self.temporaryPath = nil
        return finalPath
    }

    private func drawProgress(final: Bool) { progress.draw(written, of: total, final: final) }
}
