#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird
import NIOCore

/// Turns a ``SimReply`` into the wire answer: Content-Length or chunked, HEAD without a body, the body paced
/// to the bandwidth cap in chunks of ≤64 KiB (aligned to the generator's chunks), each chunk counted as sent,
/// and a `reset`/`truncate` fault cutting the body at about half; `overdeclare`/`underdeclare` send the whole
/// body under a Content-Length 1 KiB larger / smaller than it (at most half of it smaller), then close.
struct ReplyWriter: Sendable {
    enum Cut: Sendable { case reset, truncate, overdeclare, underdeclare }

    /// Thrown to make Hummingbird drop the connection in the middle of a body.
    struct CutConnection: Error {}

    let state: SimulatorState
    let endpoint: SimEndpoint
    let knobs: SimulatorState.Knobs
    let isHead: Bool
    let cut: Cut?
    let channel: any Channel

    func response(for reply: SimReply) throws -> Response {
        var headers = reply.headers
        let length = reply.body.length
        var declared = length
        if cut == .overdeclare { declared = length + 1024 }
        if cut == .underdeclare { declared = length - min(1024, length / 2) }
        let framed = knobs.contentLength || cut == .overdeclare || cut == .underdeclare
        if framed { headers[.contentLength] = String(declared) }
        if isHead {
            let empty = knobs.contentLength ? ResponseBody() : ResponseBody(contentLength: nil) { try await $0.finish(nil) }
            return Response(status: reply.status, headers: headers, body: empty)
        }
        let reader: MediaReader
        let start: Int64
        switch reply.body {
        case .bytes(let buffer):
            reader = .memory(Array(buffer.readableBytesView))
            start = 0
        case .media(let body, let range):
            reader = try body.makeReader()
            start = range.lowerBound
        }
        let body = ResponseBody(contentLength: framed ? Int(declared) : nil) { writer in
            try await stream(reader, from: start, length: length, into: &writer)
        }
        return Response(status: reply.status, headers: headers, body: body)
    }

    private func stream(_ reader: MediaReader, from start: Int64, length: Int64,
                        into writer: inout any ResponseBodyWriter) async throws {
        let limit = cut == .reset || cut == .truncate ? length / 2 : length
        let chunkCap = knobs.bandwidth.map { min(GeneratedBytes.chunkSize, max(1024, $0 / 20)) } ?? GeneratedBytes.chunkSize
        let began = ContinuousClock.now
        var sent: Int64 = 0
        while sent < limit {
            let offset = start + sent
            let aligned = GeneratedBytes.chunkSize - Int(offset % Int64(GeneratedBytes.chunkSize))
            let count = Int(min(Int64(min(chunkCap, aligned)), limit - sent))
            try await writer.write(reader.read(at: offset, count: count))
            sent += Int64(count)
            await state.record(endpoint, bytes: Int64(count))
            if let rate = knobs.bandwidth {
                try await Task.sleep(until: began + .seconds(Double(sent) / Double(rate)), clock: .continuous)
            }
        }
        if let cut {
            if cut == .reset {
                // Let the half body reach the peer, then close with RST (SO_LINGER 0) rather than FIN.
                try await Task.sleep(for: .milliseconds(50))
                // Close here: Hummingbird's own close would half-close (FIN) first.
                try await (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                try? await channel.close().get()
            }
            throw CutConnection()
        }
        try await writer.finish(nil)
    }
}
