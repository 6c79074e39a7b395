import Logging
import MediaCache
import WeChatAPI

/// Keeps a `QuotaLedger` in `<cache-dir>/quota.json`, so the day's count survives a restart and is shared by every
/// process using the directory.
///
/// Each process only ever *adds* its own calls: `sync` takes the calls not yet written, adds them to the file under
/// its lock (`SharedDocument`) and adopts the file's totals, which also brings in what the others added. So a mount
/// (the owner) and a `get` beside it (a guest) both count, and neither overwrites the other. A restart on the same
/// quota day continues the count; a file of an older day counts as zero. Writes are throttled: the mount syncs
/// every `interval` seconds (reading only, unless it made calls) and once more when it drains at exit; a `get`
/// syncs when it drains. A crash loses at most the calls of the last interval.
public final class QuotaStore: Sendable {
    public static let fileName = "quota.json"
    public static let interval: Double = 10

    public let ledger: QuotaLedger
    let document: SharedDocument
    let logger: Logger

    public init(directory: String, ledger: QuotaLedger, logger: Logger) {
        self.ledger = ledger
        document = SharedDocument(path: directory + "/" + Self.fileName)
        self.logger = logger
    }

    /// Reads the file once (before anything is served): the day's count so far, if the file is of today.
    public func load() async {
        await document.removeAbandonedTemporaries()
        do {
            guard let bytes = try await document.read() else { return }
            guard let record = QuotaRecord(json: bytes) else {
                logger.warning("\(document.path) is not a quota record; counting today's calls from zero")
                return
            }
            ledger.adopt(record)
        } catch {
            logger.warning("cannot read \(document.path): \(error); counting today's calls from zero")
        }
    }

    /// Adds this process's unwritten calls to the file and takes its totals.
    public func sync() async {
        let delta = ledger.takePending()
        do {
            let bytes = try await document.update { current in
                guard let delta else { return nil }
                return QuotaRecord.adding(delta, to: current.flatMap { QuotaRecord(json: $0) }).json
            }
            if let record = bytes.flatMap({ QuotaRecord(json: $0) }) { ledger.adopt(record) }
        } catch {
            if let delta { ledger.restore(pending: delta) }
            logger.warning("cannot write \(document.path): \(error); the calls are kept for the next try")
        }
    }

    /// Syncs every `interval` seconds until cancelled.
    public func startSyncing(every interval: Double = QuotaStore.interval) -> Task<Void, Never> {
        Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { return }
                await sync()
            }
        }
    }
}
