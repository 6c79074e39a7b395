import Foundation
import Locking
import Logging
import Synchronization
import WeChatAPI

/// Follower messages shared by the fleet (`PREFIX/messages/<appid>/<name>.json`, one object per message, JSON as
/// the local log holds it): `inbox/` and the names in `media/` are the same on every host. Each round lists the
/// store's messages, writes the local ones it lacks (recorded here by the callback or `ingest`) with
/// `If-None-Match: *`, and records the ones this host lacks through the same rules as a push (a message that does
/// not decode, is ill-formed or too large is skipped). Never blocks a reader: it runs on its own task.
public final class MessageShare: Sendable {
    let client: S3Client
    let appID: String
    let logger: Logger
    /// Names this host has seen in the store (never fetched or written again).
    private let known = Mutex(Set<String>())

    public init(client: S3Client, appID: String, logger: Logger) {
        self.client = client
        self.appID = appID
        self.logger = logger
    }

    /// The object name of a message: its MsgId, else its media id and CreateTime (both safe in a key).
    static func name(_ message: FollowerMessage) -> String? {
        let name = message.msgID ?? "\(message.mediaID.rawValue)-\(message.createTime)"
        let safe = (1...160).contains(name.utf8.count) && name.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || $0 == 0x5f || $0 == 0x2d
        }
        return safe ? name : nil
    }

    /// One round; how many messages were written to the store and recorded here.
    @discardableResult
    public func sync(local: [FollowerMessage], record: ([FollowerMessage]) throws -> Int) async -> (written: Int, recorded: Int) {
        let prefix = "messages/\(appID)/"
        var inStore = Set<String>(), token: String?
        do {
            var pages = 0
            repeat {
                let page = try await client.list(prefix: prefix, continuation: token)
                for entry in page.keys where entry.key.hasSuffix(".json") {
                    inStore.insert(String(entry.key.dropFirst(prefix.count).dropLast(5)))
                }
                pages += 1
                token = page.next == token || page.keys.isEmpty || pages >= 10_000 ? nil : page.next
            } while token != nil
        } catch {
            logger.debug("shared store: messages not listed this round", metadata: ["error": "\(error)"])
            return (0, 0)
        }
        var written = 0
        let localNames = Set(local.compactMap(Self.name))
        for message in local {
            guard let name = Self.name(message), !inStore.contains(name), let body = try? JSONEncoder().encode(message) else { continue }
            if (try? await client.put(prefix + name + ".json", bytes: Array(body), contentType: "application/json", ifAbsent: true)) != nil { written += 1 }
        }
        var fresh: [FollowerMessage] = []
        let wanted = inStore.subtracting(localNames).subtracting(known.locked { $0 })
        for name in wanted.sorted() {
            let fetched: (head: S3Client.Head, bytes: [UInt8])?
            do {
                fetched = try await client.get(prefix + name + ".json", limit: 64 << 10)
            } catch let error as S3Error where error.kind == .badResponse {
                fetched = nil  // larger than any message: skipped once, like any other that is not one
            } catch {
                continue  // the store did not answer: next round
            }
            known.locked { _ = $0.insert(name) }
            guard let answer = fetched, let message = try? JSONDecoder().decode(FollowerMessage.self, from: Data(answer.bytes)), message.isWellFormed,
                  Self.name(message) == name else {
                logger.warning("shared store: a message object is not a follower message; skipped", metadata: ["name": "\(name)"])
                continue
            }
            fresh.append(message)
        }
        known.locked { $0.formUnion(inStore.intersection(localNames)) }
        var recorded = 0
        if !fresh.isEmpty {
            do { recorded = try record(fresh) } catch {
                logger.warning("shared store: messages from the store not recorded here", metadata: ["error": "\(error)"])
                known.locked { $0.subtract(fresh.compactMap(Self.name)) }  // tried again next round
            }
        }
        return (written, recorded)
    }

    /// Rounds every `interval` seconds until the task is cancelled.
    public func run(every interval: Double, local: @escaping @Sendable () -> [FollowerMessage],
                    record: @escaping @Sendable ([FollowerMessage]) throws -> Int) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                await sync(local: local(), record: record)
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            }
        }
    }
}
