import Foundation
import Testing
import WeChatAPI
import WeChatSimulator
import Scratch

@Suite struct UploadTests {
    @Test(arguments: [(UploadType.image, MediaKind.image), (.voice, .voice), (.video, .video), (.thumb, .thumb)])
    func uploadThenDownloadTheSameBytes(_ type: UploadType, _ kind: MediaKind) async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let source = fixture.item(kind)
        let original = await fixture.sim.bytes(of: source.id, kind: kind)!
        let path = Scratch.path("upload.\(source.ext)")
        try Data(original).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let result = try await fixture.client.upload(file: path, type: type)
        #expect(result.mediaID.rawValue.count == 64)
        #expect(result.createdAt != nil)  // a number, or a string for voice: both read
        let sink = MemorySink()
        _ = try await fixture.client.download(MediaRequest(id: result.mediaID), into: sink)
        #expect(sink.bytes == original)
    }

    /// The file part is typed by the file's extension (a PNG is not sent as a JPEG), as the simulator records it.
    @Test(arguments: [("png", UploadType.image, "image/png"), ("gif", .image, "image/gif"), ("jpeg", .image, "image/jpeg"),
                      ("JPG", .thumb, "image/jpeg"), ("mp3", .voice, "audio/mpeg"), ("amr", .voice, "audio/amr"),
                      ("mp4", .video, "video/mp4")])
    func thePartIsTypedByItsExtension(_ ext: String, _ type: UploadType, _ contentType: String) async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let path = Scratch.path("typed.\(ext)")
        try Data(repeating: 0x42, count: 1000).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        _ = try await fixture.client.upload(file: path, type: type)
        let name = (path as NSString).lastPathComponent
        #expect(await fixture.sim.state.lastUpload() == UploadRecord(contentType: contentType, filename: name, bytes: 1000))
    }

    @Test func aWrongExtensionIsRefusedBeforeAnyCall() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let error = await #expect(throws: WeChatError.self) { try await fixture.client.upload(file: "/etc/hostname", type: .image) }
        #expect(error?.kind == .local)
        #expect(await fixture.calls(.upload) == 0)
    }

    @Test func anOversizedThumbIsTooLarge() async throws {
        let fixture = try await SimFixture.start()
        defer { Task { await fixture.sim.stop() } }
        let path = Scratch.path("big.jpg")
        try Data(repeating: 0xFF, count: 200 * 1024).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let error = await #expect(throws: WeChatError.self) { try await fixture.client.upload(file: path, type: .thumb) }
        #expect(error?.category == .tooLarge)
    }
}

@Suite struct SecretTests {
    @Test func logsAndErrorsNeverHoldTheSecretOrAToken() async throws {
        let log = CapturedLog()
        let fixture = try await SimFixture.start(classic: true, logger: log.logger())
        defer { Task { await fixture.sim.stop() } }
        await fixture.sim.state.inject(.expiredToken, endpoint: .mediaGet, count: 1)
        await fixture.sim.state.inject(.busy, endpoint: .mediaGet, count: 1)
        _ = try await fixture.download(.image)
        _ = try await fixture.download(.video)
        let token = try await fixture.provider.token()
        let error = await #expect(throws: WeChatError.self) {
            try await fixture.client.download(MediaRequest(id: MediaID("Missing_id")!), into: MemorySink())
        }
        let everything = log.text + "\n" + String(describing: error) + "\n" + String(describing: token)
        #expect(!log.text.isEmpty)
        #expect(!everything.contains(SimFixture.secret))
        #expect(!everything.contains(token.value))
        #expect(Redaction.redact("http://x/cgi-bin/media/get?access_token=abc.def&media_id=1") == "http://x/cgi-bin/media/get?access_token=REDACTED&media_id=1")
        #expect(!String(describing: Credentials(appID: "wx1", secret: SimFixture.secret)).contains(SimFixture.secret))
    }
}
