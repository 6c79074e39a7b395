import Foundation
import Testing
import Scratch

/// Uploading by copying into `upload/<type>/` of a real mount (issue #9 part 1), with `cp`, `getfattr`, `setpriv`.
/// Expected bytes are the source files' own sha256; the server's side is read from the simulator's counters.
@Suite struct MountUploadTests {
    /// A fixture of each kind: (upload type, source path, extension).
    func sources(_ sim: SimProcess) async throws -> [(type: String, path: String, ext: String)] {
        let items = try await sim.items()
        return try ["image", "voice", "video", "thumb"].map { kind in
            let item = try #require(items.first { $0.kind == kind })
            return (kind, "\(Harness.fixtures)/\(kind)/\(item.id).\(item.ext)", item.ext)
        }
    }

    func attribute(_ name: String, _ path: String) async -> String? {
        let result = await Harness.run(["getfattr", "--only-values", "-n", name, path])
        return result.status == 0 ? result.output : nil
    }

    @Test func cpOfEachTypeGivesAnIdServedFromTheLocalCopy() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let before = Int64(Date().timeIntervalSince1970)
        for source in try await sources(sim) {
            let target = mount.path("upload/\(source.type)/copied.\(source.ext)")
            let copy = await mount.run(["cp", source.path, target])
            #expect(copy.status == 0, "\(source.type): \(copy.error)")
            let expected = await Harness.sha256(source.path)
            #expect(await Harness.sha256(target) == expected, "\(source.type): the uploaded file reads back its bytes")
            let id = try #require(await attribute("user.wechat.media_id", target), "\(source.type): no media id xattr")
            #expect(id.count == 64, "\(source.type): \(id)")
            let created = try #require(Int64(await attribute("user.wechat.created_at", target) ?? ""))
            #expect(abs(created - before) < 300, "\(source.type): created_at \(created)")
            // The server holds exactly those bytes under that id (an item of the simulator's catalogue now).
            let held = try await sim.items().first { $0.id == id }
            #expect(held?.size == Int64((try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int) ?? -1))
            try await sim.resetCounters()
            #expect(await mount.sha256("media/\(id).\(source.ext)") == expected, "\(source.type): media/<id> has the uploaded bytes")
            #expect(try await sim.mediaCalls() == 0, "\(source.type): served from the local copy, no download")
        }
        let listing = await mount.run(["ls", mount.path("upload/video")])
        #expect(listing.output == "copied.mp4\n")
    }

    @Test func refusedUploadsFailTheWriterAndLeaveNothing() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let work = Scratch.directory("upload-src")
        let image = try await sources(sim)[0].path

        // Refused before any byte is staged (create) or as the bytes come (write): the copy itself fails.
        let wrongType = await mount.run(["cp", image, mount.path("upload/video/photo.jpg")])
        #expect(wrongType.status != 0 && wrongType.error.contains("Invalid argument"), "\(wrongType.error)")

        let big = work + "/big.jpg"  // a thumb is at most 64 KiB
        _ = FileManager.default.createFile(atPath: big, contents: Data(repeating: 0xff, count: 100_000))
        let tooLarge = await mount.run(["cp", big, mount.path("upload/thumb/big.jpg")])
        #expect(tooLarge.status != 0 && tooLarge.error.contains("File too large"), "\(tooLarge.error)")

        // Refused by the upload itself, which runs at the last close: the file stays listed without an id, its
        // media id attribute answers the failure's errno and `user.wechat.error` says why.
        func failed(_ name: String, _ errno: String) async {
            let id = await Harness.run(["getfattr", "-n", "user.wechat.media_id", mount.path("upload/image/\(name)")])
            #expect(id.status != 0 && id.error.contains(errno), "\(name): \(id.error)")
            let why = await attribute("user.wechat.error", mount.path("upload/image/\(name)"))
            #expect(why?.isEmpty == false, "\(name): no user.wechat.error")
        }
        let empty = work + "/empty.jpg"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(await mount.run(["cp", empty, mount.path("upload/image/empty.jpg")]).status == 0)
        await failed("empty.jpg", "Invalid argument")

        // A 500 after the body went out is not sent again (it may have been stored): one call, EIO.
        try await sim.post("/__sim/fault", #"{"endpoint":"media/upload","fault":"http500","count":1}"#)
        #expect(await mount.run(["cp", image, mount.path("upload/image/broken.jpg")]).status == 0)
        await failed("broken.jpg", "Input/output error")
        // A token refused again after two refreshes: EACCES.
        try await sim.post("/__sim/fault", #"{"endpoint":"media/upload","fault":"invalid-token","count":3}"#)
        #expect(await mount.run(["cp", image, mount.path("upload/image/refused.jpg")]).status == 0)
        await failed("refused.jpg", "Permission denied")

        for type in ["video", "thumb"] {
            let listing = await mount.run(["ls", "-A", mount.path("upload/\(type)")])
            #expect(listing.status == 0 && listing.output.isEmpty, "a refused copy leaves nothing: \(type): \(listing.output)")
        }
        // Nothing staged is left behind to grow the cache.
        let staged = try FileManager.default.contentsOfDirectory(atPath: mount.cacheDirectory + "/uploads/staging")
        #expect(staged.isEmpty, "\(staged)")
        #expect(try await sim.counters()["media/upload"]?.requests ?? 0 <= 5, "the refused names and the empty file made no call")
    }

    /// Issue 19, points 1 and 2: the upload runs at the last close, so whatever opens, forks, closes a copy of the
    /// descriptor early or sets attributes uploads the whole file exactly once, and the tool reports success.
    @Test func everyWayOfWritingUploadsTheWholeFileOnce() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let image = try await sources(sim)[0].path
        let expected = await Harness.sha256(image)
        let target = { (name: String) in mount.path("upload/image/\(name).jpg") }
        let forking = """
            import os, sys
            fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            data = open(sys.argv[1], 'rb').read()
            os.write(fd, data[:1000])
            pid = os.fork()
            if pid == 0:
                os._exit(0)  # the child's exit closes its copy of the descriptor: a flush, mid-file
            os.waitpid(pid, 0)
            os.write(fd, data[1000:])
            os.close(fd)
            """
        let ways: [(String, [String])] = [
            ("redirect", ["sh", "-c", "cat '\(image)' > '\(target("redirect"))'"]),
            ("dd", ["dd", "if=" + image, "of=" + target("dd"), "bs=4096"]),
            ("tee", ["sh", "-c", "tee '\(target("tee"))' < '\(image)' > /dev/null"]),
            ("cp-a", ["cp", "-a", image, target("cp-a")]),
            ("install", ["install", "-m", "644", image, target("install")]),
            ("fork", ["python3", "-c", forking, image, target("fork")]),
        ]
        try await sim.resetCounters()
        for (name, command) in ways {
            let result = await mount.run(command)
            #expect(result.status == 0, "\(name): \(result.error)")
            let id = try #require(await attribute("user.wechat.media_id", target(name)), "\(name): no media id")
            #expect(await mount.sha256("media/\(id).jpg") == expected, "\(name): media/<id> holds the whole file")
        }
        #expect(try await sim.calls("media/upload") == ways.count, "exactly one upload each")
        // A rename inside upload/ is EXDEV, so mv copies (one more upload) and deletes.
        let moved = await mount.run(["mv", target("dd"), target("moved")])
        #expect(moved.status == 0, "\(moved.error)")
        #expect(await attribute("user.wechat.media_id", target("moved")) != nil)
        #expect(!FileManager.default.fileExists(atPath: target("dd")))
    }

    @Test func onlyTheOwnerWritesAndOnlyInUpload() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim, extra: ["-o", "allow_other"])
        defer { mount.unmount() }
        let image = try await sources(sim)[0].path
        let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let stranger = await mount.run(nobody + ["cp", image, mount.path("upload/image/theirs.jpg")])
        #expect(stranger.status != 0 && stranger.error.contains("Permission denied"), "\(stranger.error)")
        for (tool, path) in [(["touch"], "media/new.jpg"), (["mkdir"], "upload/image/folder"), (["touch"], "inbox/x"), (["mkdir"], "newdir")] {
            let refused = await mount.run(tool + [mount.path(path)])
            #expect(refused.status != 0 && refused.error.contains("Read-only file system"), "\(path): \(refused.error)")
        }
        // What the owner uploaded, everyone allowed by the mount can read.
        #expect(await mount.run(["cp", image, mount.path("upload/image/mine.jpg")]).status == 0)
        let read = await mount.run(nobody + ["sha256sum", mount.path("upload/image/mine.jpg")])
        #expect(read.output.hasPrefix(await Harness.sha256(image) ?? "-"), "\(read.error)")
    }

    @Test func uploadsStayAcrossARemountAndRewritingUploadsAgain() async throws {
        try requireFUSE()
        let sim = try SimProcess()
        let cache = Scratch.directory("upload-cache")
        let voice = try await sources(sim)[1].path
        var mount = try MountProcess(sim: sim, cacheDirectory: cache)
        #expect(await mount.run(["cp", voice, mount.path("upload/voice/hello.amr")]).status == 0)
        let first = try #require(await attribute("user.wechat.media_id", mount.path("upload/voice/hello.amr")))
        #expect(mount.unmount())

        mount = try MountProcess(sim: sim, cacheDirectory: cache)
        defer { mount.unmount() }
        #expect(await attribute("user.wechat.media_id", mount.path("upload/voice/hello.amr")) == first)
        #expect(await mount.sha256("upload/voice/hello.amr") == (await Harness.sha256(voice)))

        // Appending changes the file: it is uploaded again at close, under a new id, with the new bytes.
        let append = await mount.run(["sh", "-c", "printf tail >> '\(mount.path("upload/voice/hello.amr"))'"])
        #expect(append.status == 0, "\(append.error)")
        let second = try #require(await attribute("user.wechat.media_id", mount.path("upload/voice/hello.amr")))
        #expect(second != first)
        let expected = Scratch.directory("upload-expected") + "/hello.amr"
        try (try Data(contentsOf: URL(fileURLWithPath: voice)) + Data("tail".utf8)).write(to: URL(fileURLWithPath: expected))
        #expect(await mount.sha256("media/\(second).amr") == (await Harness.sha256(expected)))
        #expect(await mount.sha256("media/\(first).amr") == (await Harness.sha256(voice)), "the first id still serves the first bytes")
    }
}
