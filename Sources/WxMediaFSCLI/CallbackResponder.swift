import Hummingbird
import Logging
import NIOCore
import WeChatCallback

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
