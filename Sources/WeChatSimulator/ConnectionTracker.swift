import NIOCore

/// The connections that have sent a request, so ``RunningSimulator/stop()`` can close them instead of waiting
/// for clients to hang up (an HTTP client's pool keeps an idle connection open for a minute). The actor guards
/// the table; a connection leaves it when it closes.
actor ConnectionTracker {
    private var open: [ObjectIdentifier: any Channel] = [:]
    private var stopped = false

    func register(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        guard open[key] == nil else { return }
        guard !stopped else {
            channel.close(promise: nil)
            return
        }
        open[key] = channel
        channel.closeFuture.whenComplete { _ in
            Task { await self.forget(key) }
        }
    }

    func closeAll() async {
        stopped = true
        let channels = Array(open.values)
        open = [:]
        for channel in channels {
            try? await channel.close()
        }
    }

    private func forget(_ key: ObjectIdentifier) {
        open[key] = nil
    }
}
