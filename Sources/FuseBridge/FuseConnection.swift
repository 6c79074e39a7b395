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
public enum MountInfo {
    public struct Entry: Equatable, Sendable {
        public let device: String
        public let mountpoint: String
        public let type: String
    }

    /// Every mount, oldest first. A line is "36 35 98:0 /root /mnt/wx rw,… shared:1 - fuse.wxmediafs src rw,…":
    /// field 3 the device, field 5 the mountpoint, the type after " - "; the kernel writes space, tab, newline
    /// and backslash in paths as octal escapes (\040, \011, \012, \134).
    public static func entries(_ text: String? = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) -> [Entry] {
        (text ?? "").split(separator: "\n").compactMap { line in
            let halves = line.components(separatedBy: " - ")
            let fields = halves[0].split(separator: " ")
            guard halves.count >= 2, fields.count > 4, let type = halves[1].split(separator: " ").first else { return nil }
            return Entry(device: String(fields[2]), mountpoint: unescape(fields[4]), type: String(type))
        }
    }

    /// The newest mount at `mountpoint` (a resolved path).
    public static func newest(at mountpoint: String) -> Entry? { entries().last { $0.mountpoint == mountpoint } }

    /// The `major:minor` device of the newest mount at `mountpoint`.
    static func device(of mountpoint: String) -> String? { newest(at: mountpoint)?.device }

    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "\\"), rest.count >= 3, let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                rest = rest.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
