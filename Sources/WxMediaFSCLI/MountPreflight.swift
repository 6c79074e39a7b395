import Foundation
import MediaFS

/// Checks made before mounting, each failing with one clear line: /dev/fuse, the mountpoint, a stale mount.
enum MountPreflight {
    static func check(mountpoint: String) throws {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw FSError(.notPermitted, "/dev/fuse is missing or not accessible (install fuse3; in a container, pass --device /dev/fuse)")
        }
        var info = stat()
        if stat(mountpoint, &info) != 0 {
            if errno == ENOTCONN {
                // A mount left by a killed process: detach it, then use the directory again.
                umount2(mountpoint, Int32(MNT_DETACH))
                if stat(mountpoint, &info) != 0 {
                    throw FSError(.io, "\(mountpoint) holds a stale mount that could not be removed (try fusermount3 -uz \(mountpoint))")
                }
            } else {
                throw FSError(.noEntry, "mountpoint \(mountpoint) does not exist")
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw FSError(.notDirectory, "mountpoint \(mountpoint) is not a directory") }
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
