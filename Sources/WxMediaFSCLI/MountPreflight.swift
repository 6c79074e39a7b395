import Foundation
import FuseBridge
import MediaFS

/// Checks made before mounting, each failing with one clear line and its own exit status (StartupFailure):
/// /dev/fuse, fuse3's fusermount3, the mountpoint, a stale mount, a mount already there.
enum MountPreflight {
    static func check(mountpoint: String, options: [String] = []) throws {
        if access("/dev/fuse", F_OK) != 0 {
            throw StartupFailure(ENODEV, "/dev/fuse is missing — load the module (modprobe fuse) or install fuse3 (apt-get install fuse3); in a container, pass --device /dev/fuse --cap-add SYS_ADMIN")
        }
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw StartupFailure(EACCES, "/dev/fuse exists but this user (uid \(getuid())) may not open it — mount as root (the systemd unit does), or give the user access to /dev/fuse")
        }
        if let unknown = options.first(where: { !Self.isKnown($0) }) {
            throw StartupFailure(ConfigError.exitCode.rawValue, "-o \(unknown.prefix(80)) is not a mount option — known: \(Self.known.joined(separator: ", ")) (settings go in the config file or as key=value in fstab)")
        }
        if (geteuid() != 0 || options.contains("auto_unmount")), findFusermount() == nil {
            throw StartupFailure(65, "fusermount3 was not found — install fuse3 (apt-get install fuse3); it mounts for users other than root and does auto_unmount")
        }
        var info = stat()
        if stat(mountpoint, &info) != 0 {
            if errno == ENOTCONN {
                // A mount left by a killed process: detach it, then use the directory again.
                umount2(mountpoint, Int32(MNT_DETACH))
                if stat(mountpoint, &info) != 0 {
                    throw StartupFailure(EIO, "\(mountpoint) holds a stale mount that could not be removed — run fusermount3 -uz \(mountpoint)")
                }
            } else {
                throw StartupFailure(ENOENT, "mountpoint \(mountpoint) does not exist — create it (mkdir -p \(mountpoint))")
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw StartupFailure(ENOTDIR, "mountpoint \(mountpoint) is not a directory")
        }
        if let type = fuseMountType(at: mountpoint) {
            throw StartupFailure(EEXIST, "\(mountpoint) is already mounted (\(type)) — unmount it first (fusermount3 -u \(mountpoint))")
        }
        if !options.contains("nonempty"), let entries = try? FileManager.default.contentsOfDirectory(atPath: mountpoint), !entries.isEmpty {
            throw StartupFailure(ENOTEMPTY, "mountpoint \(mountpoint) is not empty (\(entries.count) entries): mounting would hide them — use an empty directory, or pass -o nonempty")
        }
    }

    /// libfuse 3's mount options, and the kernel's generic ones mount(8) passes on; anything else is a mistake.
    static let known = ["allow_other", "allow_root", "auto_unmount", "default_permissions", "nonempty", "ro", "rw", "suid", "nosuid",
                        "dev", "nodev", "exec", "noexec", "atime", "noatime", "relatime", "norelatime", "strictatime",
                        "nostrictatime", "sync", "async", "dirsync", "fsname=…", "subtype=…", "max_read=…", "blksize=…",
                        "kernel_cache", "auto_cache", "debug"]

    static func isKnown(_ option: String) -> Bool {
        let key = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
        return known.contains(option) || known.contains(key + "=…")
    }

    /// The options handed to libfuse: ours (`nonempty`, which libfuse 3 no longer knows) taken out.
    static func libfuseOptions(_ options: [String]) -> [String] { options.filter { $0 != "nonempty" } }

    /// The type of a FUSE filesystem mounted at `path` now (from /proc/self/mountinfo), if any.
    static func fuseMountType(at path: String) -> String? {
        let target = realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? path
        return MountInfo.newest(at: target).map(\.type).flatMap { $0.hasPrefix("fuse") ? $0 : nil }  // the newest is on top
    }

    static func findFusermount() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/local/bin"]
        return directories.map { $0 + "/fusermount3" }.first { access($0, X_OK) == 0 }
    }

    /// `-o a,b -o c` → [a, b, c], with `default_permissions` added when `allow_other` is asked.
    static func options(_ raw: [String]) -> [String] {
        var options = raw.flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        if options.contains("allow_other"), !options.contains("default_permissions") { options.append("default_permissions") }
        if !options.contains(where: { $0.hasPrefix("fsname=") }) { options.append("fsname=wxmediafs") }
        if !options.contains(where: { $0.hasPrefix("subtype=") }) { options.append("subtype=wxmediafs") }
        return options
    }
}
