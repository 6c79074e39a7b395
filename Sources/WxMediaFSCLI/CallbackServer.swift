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

/// Turns an HTTP request into a CallbackRequest and the handler's answer or refusal into a plain-text response.
struct CallbackResponder: HTTPResponder {
    let handler: CallbackHandler
    let logger: Logger

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let method: CallbackRequest.Method = switch request.method {
        case .get: .get
        case .post: .post
        default: .other
        }
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where query[String(name)] == nil { query[String(name)] = String(value) }
        do throws(CallbackRejection) {
            let body = method == .post ? try await self.body(of: request) : []
            let answer = try handler.handle(CallbackRequest(method: method, query: query, body: body))
            if !answer.recorded.isEmpty {
                let ids = answer.recorded.map { "\($0.msgType) \($0.mediaID)" }.joined(separator: ", ")
                logger.info("callback: recorded \(ids)")
            }
            return Self.text(.ok, answer.body)
        } catch {
            logger.warning("callback: refused \(request.method) with \(error.status.rawValue): \(error.reason)")
            return Self.text(HTTPResponse.Status(code: error.status.rawValue), error.reason + "\n")
        }
    }

    /// The body, at most the limit: a larger Content-Length is refused before any of it is read, and a body
    /// without one is cut off once past the limit.
    private func body(of request: Request) async throws(CallbackRejection) -> [UInt8] {
        let limit = handler.configuration.bodyLimit
        let tooLarge = CallbackRejection(.contentTooLarge, "a body over \(limit) bytes")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        do {
            return Array(buffer: try await request.body.collect(upTo: limit))
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch {
            throw CallbackRejection(.badRequest, "the body could not be read")
        }
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
