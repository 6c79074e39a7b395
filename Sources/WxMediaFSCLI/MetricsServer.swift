import Hummingbird
import Logging
import MediaFS
import NIOCore

/// `GET /metrics` (Prometheus text format) on `--metrics-listen`; every other path is 404. Started before the
/// mount, so an address that cannot be bound stops `mount` with one line before anything is mounted.
final class MetricsServer: Sendable {
    /// The address it listens on (the port the system chose when 0 was asked).
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

    static func start(_ address: ListenAddress, exporter: MetricsExporter, logger: Logger) async throws -> MetricsServer {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: exporter.scrape())))
        }
        let (listeners, continuation) = AsyncStream.makeStream(of: (any Channel).self)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)  // no line per scrape
        let app = Application(
            router: router,
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
            throw FSError(.io, "cannot serve metrics on \(address): \(reason)")
        }
        logger.info("metrics on http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(port)/metrics")
        return MetricsServer(host: address.host, port: port, listener: listener, server: server)
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
