import Hummingbird
import NIOCore

/// Request context that keeps the connection's channel: routes need its addresses (loopback check, the
/// video_url's host) and the cut faults need the socket.
struct SimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }

    /// "http://HOST:PORT" as the client reached this server.
    var localBaseURL: String? {
        guard let address = channel.localAddress, let ip = address.ipAddress, let port = address.port else { return nil }
        return ip.contains(":") ? "http://[\(ip)]:\(port)" : "http://\(ip):\(port)"
    }

    var peerIsLoopback: Bool {
        guard let ip = channel.remoteAddress?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
