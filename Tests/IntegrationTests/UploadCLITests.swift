import Foundation
import Testing

/// `wxmediafs upload` with several files: one id per file in order, JSON lines with --json, a progress bar on a
/// terminal only, and each id reads back the uploaded bytes (sha256 of the source, through a real mount).
@Suite struct UploadCLITests {
    @Test func severalFilesAsJSONLinesThatReadBack() async throws {
        let sim = try SimProcess()
        let items = try await sim.items()
        let sources = try ["image", "thumb"].map { kind in
            let item = try #require(items.first { $0.kind == kind })
            return "\(Harness.fixtures)/\(kind)/\(item.id).\(item.ext)"
        }
        let upload = await Harness.run([Harness.binary, "upload", "--type", "image", "--json"] + sources
                                       + ["--api-base", sim.baseURL, "--appid", SimProcess.appID],
                                       environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(upload.status == 0, "\(upload.error)")
        let objects = upload.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0["file"] as? String } == sources)
        #expect(objects.allSatisfy { $0["type"] as? String == "image" && ($0["media_id"] as? String)?.count == 64 })
        #expect(!upload.error.contains("KiB"), "no progress bar into a pipe")
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        for (object, source) in zip(objects, sources) {
            let id = try #require(object["media_id"] as? String)
            #expect(await mount.sha256("media/\(id).jpg") == (await Harness.sha256(source)))
        }
    }

    @Test func aProgressBarOnATerminal() async throws {
        let sim = try SimProcess()
        let item = try #require(try await sim.items().first { $0.kind == "image" })
        let source = "\(Harness.fixtures)/image/\(item.id).jpg"
        let command = "'\(Harness.binary)' upload --type image '\(source)' --api-base \(sim.baseURL) --appid \(SimProcess.appID)"
        let shown = await Harness.run(["script", "-qec", command, "/dev/null"], environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(shown.status == 0 && shown.output.contains("KiB [") && shown.output.contains("100%"), "\(shown.output)")
        let quiet = await Harness.run(["script", "-qec", command + " --quiet", "/dev/null"], environment: ["WECHAT_APPSECRET": SimProcess.secret])
        #expect(quiet.status == 0 && !quiet.output.contains("KiB"), "\(quiet.output)")
    }
}
