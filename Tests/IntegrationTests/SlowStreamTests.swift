import Foundation
import Testing
import Scratch
import WeChatSimulator

/// Issue 18, point 8: on a slow network the first bytes of an item are served when they have arrived, not once
/// its whole 1 MiB block has (at 16 KiB/s the first 4 KiB used to take 60 s).
@Suite struct SlowStreamTests {
    @Test func theFirstBytesAreServedBeforeTheBlockIsWhole() async throws {
        try requireFUSE()
        // 64 KiB/s: the whole 1 MiB block takes 16 s; the kernel's first read (≤ 128 KiB of read-ahead) about 2 s.
        let sim = try SimProcess(["--generate", "image:1M", "--bandwidth", "65536"])
        let image = try #require(try await sim.items().first { $0.kind == "image" })
        let reference = Scratch.directory("expected") + "/item"
        try GeneratedItemBytes.write(id: image.id, size: image.size, to: reference)  // the generator's own bytes
        let expected = try #require(FileManager.default.contents(atPath: reference)).prefix(4096)
        let mount = try MountProcess(sim: sim)
        defer { mount.unmount() }
        let output = Scratch.directory("first") + "/4k"
        // Killed after 8 s: only a read served before the block is whole finishes in time.
        let result = await mount.run(["dd", "if=" + mount.path(image.path), "of=" + output, "bs=4096", "count=1"], timeout: 8)
        #expect(result.status == 0, "dd: \(result.error)")
        #expect(FileManager.default.contents(atPath: output) == Data(expected))
    }
}
