import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MediaFS
import NIOCore

/// A Hummingbird application run beside the mount (metrics, the message push): `start` returns once it listens
/// (with the port the system chose when 0 was asked) or throws one line naming what could not be served, and
/// `stop` closes the listener and every connection, whatever state it is in, and waits briefly for it to end.
/// Every connection is held to ConnectionLimits (a cap, a deadline per request, header and body limits).
final class BackgroundServer: Sendable {
    let host: String
    let port: Int
    let limits: ConnectionLimits
    private let listener: any Channel
    private let server: Task<Void, any Error>

    private init(host: String, port: Int, limits: ConnectionLimits, listener: any Channel, server: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.limits = limits
        self.listener = listener
        self.server = server
    }

    /// `make` builds the application from the callback that reports its listening channel, a logger that keeps
    /// Hummingbird's line per request out (warnings and above only) and the configuration to serve with.
    static func start<App: ApplicationProtocol>(
        _ address: ListenAddress, serving what: String, limits: ConnectionLimits = ConnectionLimits(), logger: Logger,
        make: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void, _ quiet: Logger, _ server: HTTPServerBuilder) -> App
    ) async throws -> BackgroundServer {
        if ["0.0.0.0", "::", "0:0:0:0:0:0:0:0"].contains(address.host) {
            logger.warning("\(what) listens on \(address): every network this host is on can reach it; bind 127.0.0.1 and put a proxy in front")
        }
        let (listeners, continuation) = AsyncStream.makeStream(of: (any Channel).self)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let policy = limits.policy
        let http = HTTPServerBuilder.http1(configuration: HTTP1Channel.Configuration(
            additionalChannelHandlers: [limits.handler()], idleTimeout: nil,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: policy.headerBytes, maxHeaderListSize: policy.headerBytes,
                                            maxHeaderFieldCount: policy.headerCount)))
        let app = make({ channel in
            continuation.yield(channel)
            continuation.finish()
        }, quiet, http)
        let server = Task {
            defer { continuation.finish() }
            try await app.run()
        }
        var iterator = listeners.makeAsyncIterator()
        guard let listener = await iterator.next(), let port = listener.localAddress?.port else {
            server.cancel()
            let reason: String
            if case .failure(let error) = await server.result {
                // NIO's IOError names its syscall (`bind(descriptor:ptr:bytes:)`): say the system's reason instead.
                reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
            } else {
                reason = "it did not start"
            }
            throw FSError(.io, "cannot serve \(what) on \(address): \(reason)")
        }
        return BackgroundServer(host: address.host, port: port, limits: limits, listener: listener, server: server)
    }

    /// `http://host:port` as a client would write it (IPv6 hosts in brackets).
    var origin: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    func stop() async {
        limits.closeAll()
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
