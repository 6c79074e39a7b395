import Hummingbird
import Logging

/// The one responder: control routes, then per endpoint: count, latency, method check, the daily quota (45009),
/// injected fault, route, and the wire answer shaped by ``ReplyWriter``.
struct SimResponder: HTTPResponder {
    let state: SimulatorState
    let connections: ConnectionTracker
    let logger: Logger

    func respond(to request: Request, context: SimRequestContext) async throws -> Response {
        await connections.register(context.channel)
        let path = request.uri.path
        if path == "/__sim" || path.hasPrefix("/__sim/") {
            return await control(request, context: context)
        }
        guard let endpoint = SimEndpoint(path: path) else {
            log(request, status: .notFound)
            return Self.plain(.page(.notFound))
        }
        await state.record(endpoint, requests: 1)
        let knobs = await state.currentKnobs()
        if knobs.latency > .zero { try await Task.sleep(for: knobs.latency) }

        var cut: ReplyWriter.Cut?
        let reply: SimReply
        if let refusal = methodRefusal(request.method, endpoint: endpoint, knobs: knobs) {
            reply = refusal
        } else if await !state.spendDailyQuota(endpoint) {
            // The day's calls of this API are spent: 45009 until 00:00 UTC+8 (not counted as a call).
            reply = .error(.dailyQuota, contentType: errorType(endpoint))
        } else {
            let fault = await state.takeFault(for: endpoint)
            if let fault, request.method == .post, !fault.isAnsweredByTheRoute {
                // The whole request is read before the fault's answer, as a server that processed it would: the
                // client then sees the answer, never a connection closed under a body still being sent.
                _ = try? await request.body.collect(upTo: 64 << 20)
            }
            switch fault {
            case .busy?: reply = .error(.busy, contentType: errorType(endpoint))
            case .minuteQuota?: reply = .error(.minuteQuota, contentType: errorType(endpoint))
            case .dailyQuota?: reply = .error(.dailyQuota, contentType: errorType(endpoint))
            case .expiredToken?: reply = .error(.expiredToken, contentType: errorType(endpoint))
            case .invalidToken?: reply = .error(.invalidToken, contentType: errorType(endpoint))
            case .http500?: reply = .page(.internalServerError)
            case .html200?: reply = .htmlErrorPage200
            case .json200?: reply = .systemErrorJSON200
            case .jsonAsMedia?: reply = .invalidMediaIDAsImage
            case .http410?: reply = .page(.gone)
            case .resetMidBody?:
                cut = .reset
                reply = await route(endpoint, request, context, knobs)
            case .truncatedBody?:
                cut = .truncate
                reply = await route(endpoint, request, context, knobs)
            case .video404?, nil:
                reply = await route(endpoint, request, context, knobs)
            case .stall(let seconds)?:
                try await Task.sleep(for: .seconds(seconds))
                reply = await route(endpoint, request, context, knobs)
            case .hugeErrmsg?: reply = .hugeErrmsg
            case .badVideoURL?: reply = .badVideoURL
            case .redirectLoop?: reply = .redirectLoop(to: request.uri.string)
            case .longLength?:
                cut = .overdeclare
                reply = await route(endpoint, request, context, knobs)
            case .shortLength?:
                // Only a 206 can be caught (its Content-Range counts the bytes): a 200 gets a truncation instead.
                let routed = await route(endpoint, request, context, knobs)
                cut = routed.status == .partialContent ? .underdeclare : .truncate
                reply = routed
            case .rangeMismatch?: reply = await route(endpoint, request, context, knobs).withMismatchedRange()
            case .otherRange?:
                let routed = await route(endpoint, request, context, knobs)
                reply = routed.forOtherRange() ?? routed.withMismatchedRange()
            case .otherTotal?: reply = await route(endpoint, request, context, knobs).withOtherTotal()
            }
        }
        log(request, status: reply.status)
        return try writer(endpoint, knobs: knobs, request, context, cut: cut).response(for: reply)
    }

    private func route(_ endpoint: SimEndpoint, _ request: Request, _ context: SimRequestContext,
                       _ knobs: SimulatorState.Knobs) async -> SimReply {
        switch endpoint {
        case .token: if let refusal = ipRefusal(context) { refusal } else { await classicToken(request) }
        case .stableToken: if let refusal = ipRefusal(context) { refusal } else { await stableToken(request) }
        case .mediaGet: await mediaGet(request, context, knobs)
        case .jssdk: await jssdkGet(request, knobs)
        case .upload: await upload(request)
        case .cdn: await cdn(request, knobs)
        case .files: await files(request, knobs)
        case .quotaGet: await quotaGet(request)
        }
    }
}
