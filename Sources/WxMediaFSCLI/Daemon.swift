import Foundation

/// Detaching after the mount is ready, the FUSE way: the command mount(8) waits for exits 0 only once the
/// filesystem is mounted, or with the mount's own status and message when it fails.
///
/// Swift cannot fork safely once threads run, so the process starts itself again (`/proc/self/exe`) with
/// `WXMEDIAFS_DAEMON=1`, in a session of its own (POSIX_SPAWN_SETSID), stdout a pipe: the child prints its ready line there, then drops its
/// standard streams (`Daemon.detached`). The parent relays the child's stderr until then and exits 0 on the
/// ready line, or with the child's status if it ends first.
enum Daemon {
    static let environmentKey = "WXMEDIAFS_DAEMON"

    static var isChild: Bool { ProcessInfo.processInfo.environment[environmentKey] == "1" }

    /// In the parent: runs `arguments` as the daemon and returns the exit status for the parent.
    static func start(_ arguments: [String]) -> Int32 {
        // The real path (not /proc/self/exe) so that `ps` shows what runs.
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"
        var environment = ProcessInfo.processInfo.environment
        environment[environmentKey] = "1"
        environment.removeValue(forKey: "NOTIFY_SOCKET")  // systemd runs the foreground form (-f), never this one
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return failure("cannot make a pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDOUT_FILENO)  // stderr stays ours until ready
        // Nothing else inherited: whoever started us (mount.fuse3's caller) may wait for a descriptor of its own
        // to close, e.g. Foundation's Process watches a socket its child holds, and would wait for the mount.
        // (closefrom_np is not imported into Swift: close each one open now; one closed meanwhile is ignored.)
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for descriptor in open where descriptor > STDERR_FILENO { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(spawnSetSID))  // a session of its own: no terminal's hangup
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            return failure("cannot start the mount process: \(String(cString: strerror(spawned)))")
        }
        let output = FileHandle(fileDescriptor: pipeEnds[0], closeOnDealloc: true)
        var buffer = Data()
        while true {
            let chunk = output.availableData
            if chunk.isEmpty { break }  // the child ended (or closed stdout) before it was ready
            buffer.append(chunk)
            if String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .contains(where: { $0.hasPrefix(readyPrefix) }) {  // the whole ready line, not a part of it
                FileHandle.standardOutput.write(buffer)
                return 0
            }
        }
        FileHandle.standardOutput.write(buffer)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return code == 0 ? 1 : code
    }

    /// glibc's POSIX_SPAWN_SETSID (not imported into Swift).
    private static let spawnSetSID: Int32 = 0x80

    private static func failure(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("wxmediafs: \(message)\n".utf8))
        return 1
    }

    static let readyPrefix = "wxmediafs: mounted on "

    /// In the child, once the ready line is out: a new session and no terminal, stdout and stderr to /dev/null
    /// (the parent has gone; logs go where `--log-file`… would say, not to a closed pipe).
    static func detached() {
        guard isChild else { return }
        fflush(nil)
        let null = open("/dev/null", O_RDWR)
        guard null >= 0 else { return }
        dup2(null, STDIN_FILENO)
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        if null > STDERR_FILENO { close(null) }
    }

}
