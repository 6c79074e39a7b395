import Foundation
import Testing
@testable import WeChatAPI
@testable import WeChatHTTP
import WeChatSimulator
import Scratch

/// A sparse file of `size` bytes (no disk used), removed by the caller.
func sparseFile(size: Int64, ext: String) throws -> String {
    let path = Scratch.path("sparse.\(ext)")
    guard FileManager.default.createFile(atPath: path, contents: nil), truncate(path, off_t(size)) == 0 else {
        throw WeChatError(.local, "cannot make \(path)")
    }
    return path
}

@Suite struct UploadStreamingTests {
    /// The body reads the file only as far as the HTTP client pulled: after two pulls (the part header and one
    /// chunk) and a pause in which a read-ahead producer would have buffered megabytes, the file is emptied;
    /// the next pull must find it empty. Nothing read ahead means memory bounded to a chunk, whatever the size.
    @Test func theBodyIsReadNoFurtherThanTheClientPulled() async throws {
        let size: Int64 = 64 << 20
        let path = try sparseFile(size: size, ext: "mp4")
        defer { unlink(path) }
        let file = MultipartFile(path: path, filename: "big.mp4", contentType: "video/mp4", size: size)
        var iterator = file.chunks().makeAsyncIterator()
        #expect(try await iterator.next()?.readableBytes == file.preamble.count)
        #expect(try await iterator.next()?.readableBytes == MultipartFile.chunkSize)
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(truncate(path, 0) == 0)
        var failure: WeChatError?
        do { _ = try await iterator.next() } catch { failure = error as? WeChatError }
        #expect(failure?.kind == .local)  // "shrank while being uploaded": nothing had been read ahead
    }

    @Test func theWholeBodyIsProducedInOrder() async throws {
        let path = Scratch.path("body.jpg")
        let content = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        try Data(content).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let file = MultipartFile(path: path, filename: "a.jpg", contentType: "image/jpeg", size: Int64(content.count))
        var body: [UInt8] = []
        var chunks = 0
        for try await chunk in file.chunks(chunkSize: 300) {
            body += chunk.readableBytesView
            chunks += 1
        }
        #expect(body == file.preamble + content + file.epilogue)
        #expect(Int64(body.count) == file.length)
        #expect(chunks == 1 + 4 + 1)
    }

    /// 64 MiB goes through the real client to the simulator, which refuses it (40006) after reading its limit.
    @Test func aHugeFileIsStreamedAndRefusedAsTooLarge() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let path = try sparseFile(size: 64 << 20, ext: "mp4")
        defer { unlink(path) }
        let error = await #expect(throws: WeChatError.self) { try await fixture.client.upload(file: path, type: .video) }
        #expect(error?.errcode == 40006)
        #expect(error?.category == .tooLarge)
        #expect(await fixture.calls(.upload) == 1)
    }
}
