import Testing
@testable import WxMediaFSCLI

/// Issue 19, point 8: progress in binary units a person reads (not `234028 KiB of 234028 KiB`).
@Suite struct ProgressBarTests {
    @Test func sizesAreInTheLargestBinaryUnit() {
        #expect(ProgressBar.size(812) == "812 B")
        #expect(ProgressBar.size(4096) == "4.0 KiB")
        #expect(ProgressBar.size(234_028 * 1024) == "228.5 MiB")
        #expect(ProgressBar.size(3 << 30) == "3.0 GiB")
    }
}
