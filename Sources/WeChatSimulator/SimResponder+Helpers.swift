import Hummingbird
import Logging

extension SimResponder {
    /// GET only, POST for the two POST endpoints; HEAD on the download paths when the knob allows it.
    func methodRefusal(_ method: HTTPRequest.Method, endpoint: SimEndpoint, knobs: SimulatorState.Knobs) -> SimReply? {
        let allowed: [HTTPRequest.Method] = switch endpoint {
        case .token: [.get]
        case .stableToken, .upload, .quotaGet: [.post]
        case .mediaGet, .jssdk, .cdn, .files: knobs.headSupport ? [.get, .head] : [.get]
        }
        guard !allowed.contains(method) else { return nil }
        var reply = SimReply.page(.methodNotAllowed)
        reply.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return reply
    }

    /// Token endpoints answer JSON; media endpoints type their JSON errors text/plain, as the real server does.
    func errorType(_ endpoint: SimEndpoint) -> String {
        switch endpoint {
        case .token, .stableToken, .quotaGet: SimReply.jsonUTF8
        case .mediaGet, .jssdk, .upload, .cdn, .files: SimReply.textPlain
        }
    }

    /// 40001 / 42001 for the access_token of a media endpoint, or nil when it is valid.
    func tokenError(_ request: Request) async -> WeChatError? {
        switch await state.check(token: request.uri.queryParameters["access_token"]) {
        case .valid: nil
        case .invalid: .invalidToken
        case .expired: .expiredToken
        }
    }

    func writer(_ endpoint: SimEndpoint, knobs: SimulatorState.Knobs, _ request: Request,
                _ context: SimRequestContext, cut: ReplyWriter.Cut?) -> ReplyWriter {
        ReplyWriter(state: state, endpoint: endpoint, knobs: knobs, isHead: request.method == .head, cut: cut,
                    channel: context.channel)
    }

    /// One debug line per answer; the query's secrets are redacted.
    func log(_ request: Request, status: HTTPResponse.Status) {
        logger.debug("\(request.method.rawValue) \(Redaction.uri(request.uri.string)) -> \(status.code)")
    }

    /// An answer outside the endpoints (unknown paths, control routes): not counted, not paced.
    static func plain(_ reply: SimReply) -> Response {
        guard case .bytes(let buffer) = reply.body else { preconditionFailure("plain answers carry bytes") }
        return Response(status: reply.status, headers: reply.headers, body: ResponseBody(byteBuffer: buffer))
    }
}
