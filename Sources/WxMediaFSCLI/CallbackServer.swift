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
enum CallbackServer {
    static func start(_ address: ListenAddress, handler: CallbackHandler, logger: Logger) async throws -> BackgroundServer {
        let server = try await BackgroundServer.start(address, serving: "the callback", logger: logger) { onServerRunning, quiet, http in
            Application(responder: CallbackResponder(handler: handler, logger: logger), server: http,
                        configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
                        onServerRunning: onServerRunning, logger: quiet)
        }
        let mode = handler.configuration.cipher == nil ? "plain" : "safe"
        logger.info("WeChat message push (\(mode) mode) on \(server.origin)/")
        return server
    }
}
