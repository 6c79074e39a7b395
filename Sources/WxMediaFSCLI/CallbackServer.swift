import Hummingbird
import Logging
import MediaFS
import NIOCore
import WeChatCallback

/// WeChat's message push on `--callback-listen`: the HTTP part of the live callback (CallbackHandler is the
/// protocol). Any path is served (the admin's reverse proxy chooses it); the body is refused with 413 from its
/// Content-Length alone, or as soon as more than the limit has arrived, and never held beyond it. Each refusal
/// is one warning line with the status and the reason, which never holds the token, the key or a signature.
/// Started before the mount, like MetricsServer, so an address that cannot be bound stops `mount` first.
final class CallbackServer: Sendable {
    let host: String
    let port: Int
    private let listener: any Channel
    private let server: Task<Void, any Error>

    private init(host: String, port: Int, listener: any Channel, server: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.listener = listener
        self.server = server
    }

    static func start(_ address: ListenAddress, handler: CallbackHandler, logger: Logger) async throws -> CallbackServer {
        let (listeners, continuation) = AsyncStream.makeStream(of: (any Channel).self)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)  // Hummingbird's own line per request stays out
        let app = Application(
            responder: CallbackResponder(handler: handler, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
            onServerRunning: { channel in
                continuation.yield(channel)
                continuation.finish()
            },
            logger: quiet
        )
        let server = Task {
            defer { continuation.finish() }
            try await app.run()
        }
        var iterator = listeners.makeAsyncIterator()
        guard let listener = await iterator.next(), let port = listener.localAddress?.port else {
            server.cancel()
            let reason: String
            if case .failure(let error) = await server.result { reason = "\(error)" } else { reason = "it did not start" }
            throw FSError(.io, "cannot serve the callback on \(address): \(reason)")
        }
        let mode = handler.configuration.cipher == nil ? "plain" : "safe"
        logger.info("WeChat message push (\(mode) mode) on http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(port)/")
        return CallbackServer(host: address.host, port: port, listener: listener, server: server)
    }

    /// Stops listening and waits (briefly) for the server to end.
    func stop() async {
        try? await listener.close()
        let server = self.server
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await server.result }
            group.addTask { try? await Task.sleep(for: .milliseconds(200)) }
            await group.next()
            group.cancelAll()
        }
        server.cancel()
    }
}
