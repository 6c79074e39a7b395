import Hummingbird
import Logging
import MediaFS
import NIOCore

/// `GET /metrics` (Prometheus text format) on `--metrics-listen`; every other path is 404. Started before the
/// mount, so an address that cannot be bound stops `mount` with one line before anything is mounted.
enum MetricsServer {
    static func start(_ address: ListenAddress, exporter: MetricsExporter, logger: Logger) async throws -> BackgroundServer {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: exporter.scrape())))
        }
        let server = try await BackgroundServer.start(address, serving: "metrics", logger: logger) { onServerRunning, quiet, http in
            Application(router: router, server: http, configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
                        onServerRunning: onServerRunning, logger: quiet)
        }
        logger.info("metrics on \(server.origin)/metrics")
        return server
    }
}
