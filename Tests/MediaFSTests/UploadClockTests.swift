import Foundation
import MediaCache
import Scratch
import Testing
import WeChatAPI
@testable import MediaFS

/// Issue 20, point 6: uploads read the filesystem's injected clock, not the wall clock.
@Suite struct UploadClockTests {
    struct Uploader: MediaUploading {
        func upload(file path: String, type: UploadType, filename: String?,
                    progress: (@Sendable (Int64, Int64) -> Void)?) async throws -> UploadResult {
            UploadResult(type: type.rawValue, mediaID: MediaID("Uploaded_1")!, createdAt: nil)  // the server left it out
        }
    }

    @Test func anUploadWithoutCreatedAtTakesTheFilesystemsClock() async throws {
        let clock = ManualClock(now: 1_786_000_000)
        let directory = Scratch.directory("upload-clock")
        let cache = try DiskDataCache(directory: directory, budget: 1 << 30, blockSize: 4096, now: { clock.now() }, logger: silent)
        let fs = MediaFileSystem(downloader: FakeDownloader(items: [:], rangeSupport: false, delayNanoseconds: 0, failure: nil), cache: cache, directory: directory,
                                 clock: clock, logger: silent, uploader: Uploader())
        let imageFolder = MediaFileSystem.uploadDirectory(of: .image)
        let (attributes, opened) = try await fs.create(parent: imageFolder, name: "a.jpg", flags: O_WRONLY | O_CREAT, caller: getuid())
        #expect(try await fs.write(handle: opened.handle, offset: 0, bytes: Array("not really a jpeg".utf8)) == 17)
        fs.release(handle: opened.handle)
        #expect(try await fs.extendedAttribute(attributes.inode, name: MediaFileSystem.mediaIDAttribute) == "Uploaded_1")
        #expect(try await fs.extendedAttribute(attributes.inode, name: MediaFileSystem.createdAtAttribute) == "1786000000")
        #expect(try fs.uploadAttributes(attributes.inode).modified == 1_786_000_000)
    }
}
