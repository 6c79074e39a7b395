import Locking
import Foundation
import Logging
import NIOCore
import Synchronization
import WeChatHTTP
import WeChatSimulator

/// A simulator on port 0 and a client of it, for one test.
struct SimFixture {
    let sim: RunningSimulator
    let client: MediaClient
    let provider: TokenProvider
    let items: [SimItemInfo]

    static let appID = SimulatorConfiguration().appID
    static let secret = SimulatorConfiguration().appSecret

    static func start(_ configure: (inout SimulatorConfiguration) -> Void = { _ in }, classic: Bool = false,
                      clock: any APIClock = ManualClock(), logger: Logger = quietLogger()) async throws -> SimFixture {
        var configuration = SimulatorConfiguration()
        configure(&configuration)
        let sim = try await WeChatSimulator.start(configuration, logger: quietLogger())
        let credentials = Credentials(appID: configuration.appID, secret: configuration.appSecret)
        let fetcher: any TokenFetcher = classic
            ? ClassicTokenFetcher(apiBase: sim.baseURL, credentials: credentials)
            : StableTokenFetcher(apiBase: sim.baseURL, credentials: credentials)
        let provider = TokenProvider(fetcher: fetcher, clock: clock, logger: logger)
        let client = MediaClient(apiBase: sim.baseURL, tokens: provider, clock: clock, logger: logger)
        return SimFixture(sim: sim, client: client, provider: provider, items: await sim.state.items())
    }

    func item(_ kind: MediaKind) -> SimItemInfo { items.first { $0.kind == kind }! }

    func calls(_ endpoint: SimEndpoint) async -> Int { await sim.state.counters()[endpoint]?.requests ?? 0 }

    func download(_ kind: MediaKind, range: ByteRange? = nil, idleTimeout: TimeAmount? = nil) async throws -> (MediaHead, [UInt8]) {
        let info = item(kind)
        let sink = MemorySink()
        let client = idleTimeout.map {
            MediaClient(apiBase: sim.baseURL, tokens: provider, clock: ManualClock(), idleTimeout: $0, logger: quietLogger())
        } ?? self.client
        let head = try await client.download(MediaRequest(id: MediaID(info.id)!, hd: kind == .hd), range: range, into: sink)
        return (head, sink.bytes)
    }
}

func quietLogger() -> Logger { Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }) }

/// Collects a download in memory.
final class MemorySink: MediaSink, @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var heads: [MediaHead] = []
    func begin(_ head: MediaHead) async throws { heads.append(head) }
    func write(_ bytes: [UInt8]) async throws { self.bytes += bytes }
}

/// Every log line, at every level, with its metadata, for the "no secret in logs" test.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    func logger() -> Logger {
        var logger = Logger(label: "captured", factory: { _ in CapturingHandler(log: self) })
        logger.logLevel = .trace
        return logger
    }

    var text: String { lines.locked { $0.joined(separator: "\n") } }
}

struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        log.lines.locked { $0.append("\(event.level) \(event.message) \(all) \(event.error.map { String(describing: $0) } ?? "")") }
    }
}
