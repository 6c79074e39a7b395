import Foundation
import Hummingbird

/// The control routes under `/__sim/`, answered only to loopback peers; never counted, delayed or faulted.
extension SimResponder {
    func control(_ request: Request, context: SimRequestContext) async -> Response {
        guard context.peerIsLoopback else { return Self.controlAnswer(.forbidden, ["error": "loopback only"]) }
        let command = request.uri.path.dropFirst("/__sim/".count)
        let expected: HTTPRequest.Method = ["stats", "items", "last-upload", "tokens"].contains(command) ? .get : .post
        // chaos: POST sets the fault rate, GET reports the faults given so far.
        guard request.method == expected || (command == "chaos" && request.method == .get) else {
            return Self.controlAnswer(.methodNotAllowed, ["error": "use \(expected.rawValue)"])
        }
        switch command {
        case "stats":
            let table = await state.counters()
            return Self.encoded(Dictionary(uniqueKeysWithValues: table.map { ($0.key.rawValue, $0.value) }))
        case "items":
            return Self.encoded(await state.items())
        case "reset":
            await state.resetCounters()
        case "expire-tokens":
            await state.expireAllTokens()
        case "expire-video-urls":
            await state.expireVideoURLs(with404: request.uri.queryParameters["status"] == "404")
        case "expire-media":
            return await expireMedia(request)
        case "last-upload":
            // 404 before any upload: "nothing was sent" is then an answer, not a record of nulls.
            guard let record = await state.lastUpload() else { return Self.controlAnswer(.notFound, ["error": "no upload yet"]) }
            return Self.encoded(record)
        case "fault":
            guard let order = await Self.decode(FaultCommand.self, request),
                  let fault = SimFault(controlName: order.fault, seconds: order.seconds ?? 3),
                  let endpoint = SimEndpoint(rawValue: order.endpoint ?? SimEndpoint.mediaGet.rawValue)
            else { return Self.controlAnswer(.badRequest, ["error": "want {\"endpoint\",\"fault\",\"count\",\"seconds\"}"]) }
            await state.inject(fault, endpoint: endpoint, count: order.count ?? 1)
        case "chaos":
            if request.method == .get { return Self.encoded(await state.chaosReport()) }
            return await setChaos(request)
        case "tokens":
            // Every token issued, so a test can look for them where they must never be (logs, argv, stats).
            return Self.encoded(await state.issuedTokens())
        case "config":
            guard let order = await Self.decode(ConfigCommand.self, request) else {
                return Self.controlAnswer(.badRequest, ["error": "want a JSON object of knobs"])
            }
            await order.apply(to: state)
            return Self.encoded(ConfigCommand(await state.currentKnobs()))
        default:
            return Self.controlAnswer(.notFound, ["error": "unknown control route"])
        }
        return Self.controlAnswer(.ok, ["ok": "true"])
    }

    /// `{"id":"…"}` or `{}` (every item) → `{"expired":N,"ok":true}`, N catalogue entries dropped (2 for an id that is
    /// both a voice and an hd). An unknown id answers 404 rather than a silent 0, so a typo in a test shows.
    private func expireMedia(_ request: Request) async -> Response {
        guard let order = await Self.decode(ExpireMediaCommand.self, request) else {
            return Self.controlAnswer(.badRequest, ["error": "want {\"id\":\"…\"} or {}"])
        }
        let expired = await state.expireMedia(id: order.id)
        if order.id != nil && expired == 0 { return Self.controlAnswer(.notFound, ["error": "unknown media id"]) }
        return Self.encoded(ExpireMediaAnswer(expired: expired, ok: true))
    }

    private func setChaos(_ request: Request) async -> Response {
        guard let order = await Self.decode(ChaosCommand.self, request), order.rate.isFinite, (0...1).contains(order.rate) else {
            return Self.controlAnswer(.badRequest, ["error": "want {\"rate\":0…1,\"kinds\",\"endpoints\",\"seed\",\"seconds\"}"])
        }
        let kinds = (order.kinds ?? ["http500", "reset", "busy", "truncate", "minute-quota"]).map {
            SimFault(controlName: $0, seconds: order.seconds ?? 60)
        }
        let endpoints = (order.endpoints ?? [SimEndpoint.mediaGet.rawValue, SimEndpoint.jssdk.rawValue, SimEndpoint.cdn.rawValue])
            .map(SimEndpoint.init(rawValue:))
        guard kinds.allSatisfy({ $0 != nil }), endpoints.allSatisfy({ $0 != nil }) else {
            return Self.controlAnswer(.badRequest, ["error": "unknown fault kind or endpoint"])
        }
        await state.setChaos(ChaosSettings(rate: order.rate, kinds: kinds.compactMap { $0 }, endpoints: Set(endpoints.compactMap { $0 }),
                                           generator: SplitMix64(seed: order.seed ?? 1)))
        return Self.encoded(await state.chaosReport())
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async -> T? {
        guard let buffer = try? await request.body.collect(upTo: 64 * 1024) else { return nil }
        return try? JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
    }

    private static func encoded(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return controlAnswer(.internalServerError, ["error": "encoding"]) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func controlAnswer(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        let members = fields.sorted { $0.key < $1.key }.map { key, value in
            "\(JSONText.quote(key)):\(value == "true" ? value : JSONText.quote(value))"
        }
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "{\(members.joined(separator: ","))}")))
    }
}

/// `{"endpoint":"media/get","fault":"busy","count":1,"seconds":3}`
struct FaultCommand: Decodable {
    var endpoint: String?
    var fault: String
    var count: Int?
    var seconds: Double?
}

/// `{"id":"…"}`, or `{}` for every item.
struct ExpireMediaCommand: Decodable {
    var id: String?
}

struct ExpireMediaAnswer: Encodable {
    var expired: Int
    var ok: Bool
}
