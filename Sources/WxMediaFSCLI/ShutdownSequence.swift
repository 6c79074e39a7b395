/// The one order a mount stops in, as a value: events in, steps out; `MountRuntime` runs the steps.
///
///     serving ──signal──▶ endingLoop ──loop ended──▶ draining ──drained──▶ done
///        └──────────── loop ended (external unmount) ───▶┘
///
/// A signal stops the session and closes the servers beside the mount at once (no peer holds the process),
/// and gives the loop `ShutdownBudget.loop`. Once the loop has ended (or its time has passed), the reply gate
/// closes, then the blocks still being written drain (bounded), then the quota file's syncing ends and the
/// cache directory's lock is let go. A second signal exits at once. Every event is answered once: repeating one
/// (the loop's end and its deadline both report) asks for nothing more.
struct ShutdownSequence: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        case serving, endingLoop, draining, done
    }

    enum Step: Sendable, Equatable {
        /// Exit flag, lazy unmount, connection abort (FuseSession.stop).
        case stopSession
        /// The metrics and callback servers: every connection at once, then the listeners.
        case closeServers
        /// Give the loop its time, then report it ended late.
        case armLoopDeadline
        /// No reply after this; the session is destroyed if its loop ended.
        case closeSession(loopEnded: Bool)
        /// The blocks and metas still being written, within what the budget leaves.
        case drain
        case stopSyncing
        case releaseCache
        case exitNow
    }

    private(set) var phase = Phase.serving
    private(set) var signals = 0
    private var serversClosed = false

    /// SIGINT or SIGTERM.
    mutating func signal() -> [Step] {
        signals += 1
        guard signals == 1 else { return [.exitNow] }
        guard phase == .serving else { return [] }  // already ending by itself: the drain goes on
        phase = .endingLoop
        serversClosed = true
        return [.stopSession, .armLoopDeadline, .closeServers]  // the deadline runs whatever the servers' closing takes
    }

    /// The mount's own end was asked for (the demo's tour is over): as a signal, without a deadline.
    mutating func stopRequested() -> [Step] {
        guard phase == .serving else { return [] }
        phase = .endingLoop
        return [.stopSession]
    }

    /// The loop returned (`inTime`), or its deadline passed first (`inTime` false).
    mutating func loopEnded(inTime: Bool) -> [Step] {
        guard phase == .serving || phase == .endingLoop else { return [] }
        phase = .draining
        var steps: [Step] = serversClosed ? [] : [.closeServers]  // an external unmount: nobody closed them yet
        serversClosed = true
        steps += [.closeSession(loopEnded: inTime), .drain]
        return steps
    }

    mutating func drained() -> [Step] {
        guard phase == .draining else { return [] }
        phase = .done
        return [.stopSyncing, .releaseCache]
    }

    /// Starting failed after some parts were up (a server's address in use): the parts up so far stop, in order.
    mutating func failedToStart() -> [Step] {
        guard phase == .serving else { return [] }
        phase = .done
        serversClosed = true
        return [.closeServers, .stopSyncing, .releaseCache]
    }
}
