import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Scratch space for the tests: every path made here lies under one directory per test process,
/// `/tmp/wxmediafs-test-<pid>`, which is removed when the process exits. Mounts still standing under it are
/// detached first, and the removal never crosses into a mount. A directory left by a process that died (a
/// killed run) is removed by the next process that asks for scratch space. Without this, each run of the
/// suite left its caches and mountpoints in /tmp (this directory reaches 430 MiB during a full run).
public enum Scratch {
    static let prefix = "/tmp/wxmediafs-test-"

    /// This process's directory, made (and the clean-up registered) on first use.
    public static let root: String = {
        sweepDeadProcesses()
        let root = prefix + "\(getpid())"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { Scratch.remove(Scratch.prefix + "\(getpid())") }
        return root
    }()

    /// A new, empty directory named after `name`.
    public static func directory(_ name: String) -> String {
        let path = self.path(name)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A new path (nothing made there) named after `name`, keeping its extension: `path("clip.mp4")`.
    public static func path(_ name: String) -> String {
        let unique = UUID().uuidString.prefix(8)
        let ext = (name as NSString).pathExtension
        let stem = (name as NSString).deletingPathExtension
        return root + "/\(stem)-\(unique)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// Detaches every mount under `directory`, deepest first, then removes the tree without crossing a mount
    /// (whatever could not be detached stays, with its mountpoint).
    static func remove(_ directory: String) {
        for mountpoint in mounts(under: directory).sorted(by: >) {
            _ = umount2(mountpoint, Int32(MNT_DETACH))
        }
        var status = stat()
        guard lstat(directory, &status) == 0 else { return }
        removeTree(directory, device: status.st_dev)
    }

    /// Removes `path` and what is under it, on `device` only: a mount still standing (another device, or
    /// a dead FUSE mount that cannot even be looked at) is left alone.
    private static func removeTree(_ path: String, device: UInt) {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_dev == device else { return }
        if status.st_mode & S_IFMT == S_IFDIR {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                removeTree(path + "/" + entry, device: device)
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Mountpoints at or under `directory`, from /proc/self/mountinfo (field 5, with `\040` for a space).
    static func mounts(under directory: String) -> [String] {
        let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = fields[4].replacingOccurrences(of: "\\040", with: " ")
            return point == directory || point.hasPrefix(directory + "/") ? point : nil
        }
    }

    /// Removes the directories of test processes that no longer run.
    static func sweepDeadProcesses() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries where entry.hasPrefix("wxmediafs-test-") {
            guard let pid = Int32(entry.dropFirst("wxmediafs-test-".count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { remove("/tmp/" + entry) }
        }
    }
}
