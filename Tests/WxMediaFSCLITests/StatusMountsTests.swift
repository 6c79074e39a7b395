import Testing
@testable import WxMediaFSCLI

/// `status` with no argument finds the wxmediafs mounts in mountinfo (lines as the kernel writes them).
@Suite struct StatusMountsTests {
    @Test func onlyWxmediafsMountsAreListedWithTheirEscapesUndone() {
        let mountinfo = """
            22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
            95 28 0:48 / /mnt/wx rw,nosuid,nodev,relatime shared:50 - fuse.wxmediafs wxmediafs rw,user_id=0,group_id=0
            96 28 0:49 / /mnt/other rw,relatime shared:51 - fuse.sshfs host: rw,user_id=0,group_id=0
            97 28 0:50 / /srv/media\\040files rw,relatime shared:52 - fuse.wxmediafs wxmediafs rw,user_id=0,group_id=0
            """
        #expect(StatusCommand.wxmediafsMounts(mountinfo: mountinfo) == ["/mnt/wx", "/srv/media files"])
        #expect(StatusCommand.wxmediafsMounts(mountinfo: "").isEmpty)
    }
}
