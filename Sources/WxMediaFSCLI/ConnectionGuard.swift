import Locking
import NIOCore
import NIOHTTPTypes
import Synchronization

/// What a stranger may cost a server run beside the mount (metrics, the message push): a few descriptors for a
/// few seconds, never the readers'. Each connection must deliver a whole request (head and body) within
/// `requestDeadline` of connecting or of its last answer, or it is closed: idle and slowloris connections go
/// the same way. A body past `bodyLimit` is dropped as it comes, never held (the callback's own 413 is answered
/// first); a refusal (4xx/5xx) is answered, then the connection is closed: no unread bytes linger. At most `maximum` connections are open at once: a
/// new one takes the place of the oldest that has no whole request being answered (strangers holding every
/// slot idle cannot keep WeChat's push or a scrape out); when all are being answered, the new one is closed.
/// `closeAll` ends every connection, whatever it is doing, when the server stops.
final class ConnectionLimits: Sendable {
    struct Policy: Sendable {
        var maximum = 64
        var requestDeadline: TimeAmount = .seconds(10)
        /// From a whole request to the end of its answer written (a metrics scrape is milliseconds).
        var answerDeadline: TimeAmount = .seconds(30)
        /// Twice the callback's own limit (CallbackConfiguration.bodyLimit), so its 413 is answered first.
        var bodyLimit = 128 << 10
        /// The request head's size and header count (NIO's own defaults are 80 KiB and 1,000).
        var headerBytes = 16 << 10
        var headerCount = 64
    }

    private struct Open {
        var channel: any Channel
        var order: UInt64
        /// A whole request arrived and is being answered.
        var answering = false
    }

    private struct State {
        var open: [ObjectIdentifier: Open] = [:]
        var next: UInt64 = 0
        var stopped = false
    }

    let policy: Policy
    private let state = Mutex(State())

    init(_ policy: Policy = Policy()) { self.policy = policy }

    /// Admits a new connection (closing the oldest idle one if the cap is reached), or says it must be closed.
    func admit(_ channel: any Channel) -> Bool {
        let (admitted, evicted): (Bool, (any Channel)?) = state.locked { state in
            guard !state.stopped else { return (false, nil) }
            var evicted: (any Channel)?
            if state.open.count >= policy.maximum {
                guard let oldest = state.open.filter({ !$0.value.answering }).min(by: { $0.value.order < $1.value.order }) else {
                    return (false, nil)
                }
                evicted = state.open.removeValue(forKey: oldest.key)?.channel
            }
            state.next += 1
            state.open[ObjectIdentifier(channel)] = Open(channel: channel, order: state.next)
            return (true, evicted)
        }
        evicted?.close(mode: .all, promise: nil)
        return admitted
    }

    func answering(_ channel: any Channel, _ value: Bool) {
        state.locked { $0.open[ObjectIdentifier(channel)]?.answering = value }
    }

    func left(_ channel: any Channel) {
        _ = state.locked { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes every connection now, and every one accepted from now on.
    func closeAll() {
        let channels = state.locked { state in
            state.stopped = true
            defer { state.open = [:] }
            return state.open.values.map(\.channel)
        }
        for channel in channels { channel.close(mode: .all, promise: nil) }
    }

    /// The handler for one connection (Hummingbird adds it after HTTP decoding).
    func handler() -> ConnectionGuard { ConnectionGuard(limits: self) }
}

/// One connection's share of ConnectionLimits: it sees the decoded request parts and the answer's.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private var deadline: Scheduled<Void>?
    private var bodyBytes = 0
    private var refusing = false
    private var admitted = false
    /// A request's head came and its end not yet.
    private var requestOpen = false
    /// The answer was written before the request's end came (a handler that did not read the body).
    private var answeredEarly = false

    init(limits: ConnectionLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        guard limits.admit(context.channel) else {
            context.close(mode: .all, promise: nil)
            return
        }
        admitted = true
        armDeadline(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if admitted { limits.left(context.channel) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if admitted { limits.left(context.channel) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head:
            bodyBytes = 0
            requestOpen = true
            answeredEarly = false
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            // Past the limit the bytes are dropped here, never held: the handler has its answer (413) by then,
            // and the connection closes once it is sent, or at the deadline.
            guard bodyBytes <= limits.policy.bodyLimit else { return }
        case .end:
            requestOpen = false
            if answeredEarly {
                answeredEarly = false
                armDeadline(context)  // answered already: the next request has its own deadline
            } else {
                // A whole request: the answer is ours to give, within a deadline of its own (a peer that never
                // reads a large answer must not hold the connection for ever).
                limits.answering(context.channel, true)
                armDeadline(context, after: limits.policy.answerDeadline)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let response):
            refusing = response.status.code >= 400
        case .body:
            break
        case .end:
            if refusing {
                let closed = context.eventLoop.makePromise(of: Void.self)
                let channel = context.channel
                closed.futureResult.whenComplete { _ in channel.close(mode: .all, promise: nil) }
                context.write(data, promise: closed)
                closed.futureResult.cascade(to: promise)
                return
            }
            limits.answering(context.channel, false)
            if requestOpen {
                answeredEarly = true  // its end is still to come: the deadline runs on, `.end` re-arms it
            } else {
                armDeadline(context)  // the next request has its own deadline
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request head over the limits, malformed HTTP, a reset: the connection is done.
        context.close(mode: .all, promise: nil)
    }

    private func armDeadline(_ context: ChannelHandlerContext, after delay: TimeAmount? = nil) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: delay ?? limits.policy.requestDeadline) {
            channel.close(mode: .all, promise: nil)
        }
    }
}
