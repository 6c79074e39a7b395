// WeChatSimulator: a local, faithful stand-in for the WeChat Official Account temporary-media API
// (docs/wechat-temp-media.md), used by the tests, `wxmediafs sim` and `wxmediafs demo`.
//
// Shape and why:
// - One Hummingbird server on port 0 (loopback by default) that reports its port, like Hummingbird's own
//   TestApplication: tests start it in-process and talk real HTTP to it.
// - One `SimResponder` dispatches by path rather than a router: every API answer goes through the same steps
//   (count, latency, method check, injected fault, route, wire shaping), which is the point of a fault simulator.
// - All mutable state (tokens, items, faults, knobs, counters) lives in the `SimulatorState` actor; routes
//   decide a `SimReply` value and `ReplyWriter` streams it outside the actor, so a slow body never blocks others.
// - Quirks of the real server are reproduced on purpose: errors as HTTP 200 JSON typed text/plain,
//   `Content-disposition` with a lower-case d, video answered as {"video_url":…} on plain http, thumb uploads
//   answering `thumb_media_id`, voice uploads answering `created_at` as a string.
// - Bodies are never materialised whole: fixtures and media directories are read by range (pread), generated
//   items are computed per 64 KiB chunk from (id, chunk index).
// - Knobs for what the real server leaves unconfirmed (Range, capped ranges, unknown totals, Content-Length, HEAD)
//   and faults (busy, quotas, 500, reset or truncated bodies, token expiry, video_url 404, hostile CDN answers)
//   are set in process or via `/__sim/*`. video_urls are signed and expire (403), items can be made gone (40007).
// - Secrets (app secret, tokens) are never logged: logged URIs have their `access_token`/`secret` redacted.
import Hummingbird
import Logging
import NIOCore

public enum WeChatSimulator {
    /// Starts the simulator and returns once it listens.
    public static func start(_ config: SimulatorConfiguration, logger: Logger) async throws -> RunningSimulator {
        let items = try MediaCatalog.load(config)
        let state = SimulatorState(configuration: config, items: items)
        let connections = ConnectionTracker()
        let (listeners, listenerContinuation) = AsyncStream.makeStream(of: (any Channel).self)
        let app = Application(
            responder: SimResponder(state: state, connections: connections, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname(config.host, port: config.port)),
            onServerRunning: { channel in
                listenerContinuation.yield(channel)
                listenerContinuation.finish()
            },
            logger: logger
        )
        let server = Task {
            defer { listenerContinuation.finish() }
            try await app.run()
        }
        var iterator = listeners.makeAsyncIterator()
        guard let listener = await iterator.next(), let port = listener.localAddress?.port else {
            server.cancel()
            if case .failure(let error) = await server.result { throw error }
            throw SimulatorError.bindFailed(host: config.host, port: config.port)
        }
        let host = config.host.contains(":") ? "[\(config.host)]" : config.host
        let simulator = RunningSimulator(baseURL: "http://\(host):\(port)", port: port, state: state,
                                         listener: listener, connections: connections, server: server)
        logger.info("WeChat simulator listening", metadata: ["url": "\(simulator.baseURL)", "items": "\(items.count)"])
        return simulator
    }
}

/// A simulator that listens until ``stop()``.
public final class RunningSimulator: Sendable {
    /// "http://127.0.0.1:PORT"
    public let baseURL: String
    public let port: Int
    public let state: SimulatorState
    private let listener: any Channel
    private let connections: ConnectionTracker
    private let server: Task<Void, any Error>

    init(baseURL: String, port: Int, state: SimulatorState, listener: any Channel, connections: ConnectionTracker,
         server: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.port = port
        self.state = state
        self.listener = listener
        self.connections = connections
        self.server = server
    }

    /// Stops listening, closes the open connections (even mid-answer), and waits for the server to end.
    /// Closing the listener first lets Hummingbird's accept loop end normally instead of logging the
    /// cancellation as an error; the cancel is only a fallback for a connection that never sent a request.
    public func stop() async {
        try? await listener.close()
        await connections.closeAll()
        let server = self.server
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await server.result }
            group.addTask { try? await Task.sleep(for: .milliseconds(200)) }
            await group.next()
            group.cancelAll()
        }
        server.cancel()
        _ = await server.result
    }

    /// The exact bytes served for an item (the whole body; slow for large generated items).
    public func bytes(of id: String, kind: MediaKind) async -> [UInt8]? {
        guard let item = await state.item(id: id, kind: kind) else { return nil }
        return try? item.body.readAll()
    }
}
