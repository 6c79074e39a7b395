import Foundation
import Logging
import MediaFS

/// What runs beside one mount's FUSE session (the metrics and callback servers, the quota file's syncing) and the
/// one order it stops in. `shutdown` is called once the mount is ending, before the session's drain (serve's
/// `stopping`): the servers close every connection first, whatever it is doing, so no peer holds the process, then
/// the syncing ends. It is idempotent, so the error paths and the normal end share it.
final class MountRuntime: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var servers: [BackgroundServer] = []
    private var syncing: Task<Void, Never>?
    private var stopped = false

    func add(_ server: BackgroundServer?) {
        guard let server else { return }
        lock.withLock { servers.append(server) }
    }

    func keepSyncing(_ task: Task<Void, Never>?) { lock.withLock { syncing = task } }

    /// Closes every server (and its connections) and ends the syncing; later calls do nothing.
    func shutdown() async {
        let (servers, syncing): ([BackgroundServer], Task<Void, Never>?) = lock.withLock {
            guard !stopped else { return ([], nil) }
            stopped = true
            return (self.servers, self.syncing)
        }
        for server in servers { server.limits.closeAll() }  // every connection at once, then each listener
        await withTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { await server.stop() } }
        }
        syncing?.cancel()
    }
}
