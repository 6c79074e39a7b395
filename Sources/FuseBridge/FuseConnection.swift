import Foundation

/// A mount's FUSE connection in fusectl (`/sys/fs/fuse/connections/<minor>/`), found through the mount table.
/// Aborting it is the one way to end a connection that open files keep alive after a lazy unmount.
struct FuseConnection {
    let number: String

    /// The connection of the FUSE mount at `mountpoint` (a resolved path), from /proc/self/mountinfo.
    static func find(mountpoint: String) -> FuseConnection? {
        guard let device = MountInfo.device(of: mountpoint),
              let minor = device.split(separator: ":").last else { return nil }
        return FuseConnection(number: String(minor))
    }

    /// Writes `abort`; mounts fusectl first when it is missing (root only). Returns whether it worked.
    func abort() -> Bool {
        let directory = "/sys/fs/fuse/connections"
        if access("\(directory)/\(number)", F_OK) != 0, getuid() == 0 {
            mount("fusectl", directory, "fusectl", 0, nil)
        }
        let fd = open("\(directory)/\(number)/abort", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        return write(fd, "1", 1) == 1
    }

    /// `fusermount3 -u -z MOUNTPOINT` (an unprivileged lazy unmount).
    static func fusermountDetach(_ mountpoint: String) {
        var pid = pid_t()
        let arguments = ["fusermount3", "-u", "-z", mountpoint]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        if posix_spawnp(&pid, "fusermount3", nil, nil, &argv, environ) == 0 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// Reading /proc/self/mountinfo without touching any mount (a path lookup through our own mount would wait for us).
enum MountInfo {
    /// The `major:minor` device of the newest mount at `mountpoint` (a resolved path).
    static func device(of mountpoint: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").reversed().compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4] == mountpoint else { return nil }
            return String(fields[2])
        }.first
    }
}
