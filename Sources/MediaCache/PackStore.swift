import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The packs of a cache directory (`v2/packs/<n>.pack`, PackFormat.swift): descriptors kept open for reading (a
/// packed item's read is one `pread`, no open), and for the owner the pack it appends to and how many records its
/// index holds in each pack, so a pack with none left goes. Appends and punches run one at a time.
final class PackStore: Sendable {
    let folder: String
    /// Whether this process writes packs (the cache's owner).
    let writable: Bool

    private struct Writer {
        var number: UInt32
        var pack: PackHandle
        var end: Int
    }

    private struct State {
        var open: [UInt32: PackHandle] = [:]
        /// The pack appended to, one for records with bytes and one for metas alone (evicted items: kept apart,
        /// they are small and long-lived, so they do not keep the pages of punched records allocated).
        var writers: [Bool: Writer] = [:]
        var highest: UInt32 = 0
        /// The records the owner's index holds, by pack (their offsets): a record removed twice counts once.
        var live: [UInt32: Set<Int>] = [:]
    }

    private let state = Mutex(State())
    /// Held across an append or a punch (blocking; DiskIO threads only).
    private let writing = NSLock()

    init(folder: String, writable: Bool) throws {
        self.folder = folder
        self.writable = writable
        try CacheFiles.makeDirectory(folder)
        _ = numbers()  // the highest number taken, before any append (a scan beside the mount may not have begun)
    }

    func path(_ number: UInt32) -> String { "\(folder)/\(number).pack" }

    /// The numbers of the packs in the folder, in order (other names are not ours and are left alone).
    func numbers() -> [UInt32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let numbers = names.compactMap { name -> UInt32? in
            guard name.hasSuffix(".pack"), let number = UInt32(name.dropLast(5)), number >= 1, number <= PackLocation.maxPack,
                  name == "\(number).pack" else { return nil }
            return number
        }.sorted()
        state.withLock { $0.highest = max($0.highest, numbers.last ?? 0) }
        return numbers
    }

    /// Pack `number` open (for writing too at the owner: punches; kept open; closed when the last holder lets go), nil when there is no such valid pack.
    func reader(_ number: UInt32) throws -> PackHandle? {
        if let open = state.withLock({ $0.open[number] }) { return open }
        guard let opened = try PackFile.open(path(number), writable: writable) else { return nil }
        let handle = PackHandle(fd: opened.fd, nonce: opened.nonce)
        return state.withLock { state in
            if let other = state.open[number] { return other }
            state.open[number] = handle
            return handle
        }
    }

    /// Appends `key`'s record (owner only), starting a new pack when there is none yet or this one is full.
    func append(_ key: CacheKey, data: [UInt8], meta: [UInt8]) throws -> PackLocation {
        precondition(writable, "only the owner writes packs")
        writing.lock()
        defer { writing.unlock() }
        let metaOnly = data.isEmpty
        var writer = try currentWriter(adding: PackFormat.recordHeaderSize + key.id.utf8.count + data.count + meta.count, metaOnly: metaOnly)
        let record = PackFormat.record(key, data: data, meta: meta, nonce: writer.pack.nonce, offset: writer.end)
        try PackFile.append(writer.pack.fd, path(writer.number), record, at: writer.end)
        let location = PackLocation(pack: writer.number, offset: writer.end)
        writer.end += record.count
        state.withLock { state in
            state.writers[metaOnly] = writer
            state.live[writer.number, default: []].insert(location.offset)
        }
        return location
    }

    private func currentWriter(adding length: Int, metaOnly: Bool) throws -> Writer {
        if let writer = state.withLock({ $0.writers[metaOnly] }), writer.end + length <= PackFormat.packLimit { return writer }
        for _ in 0..<8 {
            let number = state.withLock { state -> UInt32 in
                state.highest += 1
                return state.highest
            }
            guard number <= PackLocation.maxPack else { break }
            let made: (fd: Int32, nonce: UInt64)
            do {
                made = try PackFile.create(path(number))
            } catch let error as CacheIOError where error.errno == EEXIST {
                continue
            }
            let writer = Writer(number: number, pack: PackHandle(fd: made.fd, nonce: made.nonce), end: PackFormat.headerSize)
            let previous = state.withLock { state -> Writer? in
                defer {
                    state.writers[metaOnly] = writer
                    state.open[number] = writer.pack
                }
                return state.writers[metaOnly]
            }
            if let previous { removeIfDead(previous.number) }
            return writer
        }
        throw CacheIOError(errno: EEXIST, operation: "create a pack in \(folder)")
    }

    /// Counts a record the owner's index holds (found by a scan).
    func adopt(_ location: PackLocation) {
        state.withLock { _ = $0.live[location.pack, default: []].insert(location.offset) }
    }

    /// Punches `key`'s record at `location` out of its pack (owner only); the pack goes when its last record does.
    /// `counted`: the index held it (false for a record it never took in, such as a duplicate found by a scan).
    func remove(_ key: CacheKey, at location: PackLocation, counted: Bool = true) throws {
        guard writable else { return }
        writing.lock()
        defer { writing.unlock() }
        if let pack = try reader(location.pack),
           let record = try PackFile.readRecord(pack.fd, path(location.pack), nonce: pack.nonce, offset: location.offset, key: key) {
            try PackFile.punch(pack.fd, path(location.pack), offset: location.offset, length: record.length)
        }
        guard counted else { return }
        state.withLock { _ = $0.live[location.pack]?.remove(location.offset) }
        removeIfDead(location.pack)
    }

    /// Removes the packs among `scanned` (read whole by the scan) with no record the owner's index holds, but the
    /// ones it appends to: packs whose records were all dead or replaced. A pack the scan could not read stays.
    func removeDead(scanned: Set<UInt32>) {
        guard writable else { return }
        for number in numbers() where scanned.contains(number) { removeIfDead(number) }
    }

    private func removeIfDead(_ number: UInt32) {
        let dead = state.withLock { state -> Bool in
            guard state.live[number]?.isEmpty ?? true, !state.writers.values.contains(where: { $0.number == number }) else { return false }
            state.live.removeValue(forKey: number)
            state.open.removeValue(forKey: number)  // closed when the last reader lets go
            return true
        }
        if dead { unlink(path(number)) }
    }

    /// Removes every pack (owner's `clear`).
    func removeAll() {
        writing.lock()
        defer { writing.unlock() }
        state.withLock { state in
            state.open = [:]
            state.writers = [:]
            state.live = [:]
        }
        for number in numbers() { unlink(path(number)) }
    }
}

/// An open pack: closed when the last one holding it lets go (a read under way keeps its descriptor valid while
/// the pack is removed).
final class PackHandle: Sendable {
    let fd: Int32
    let nonce: UInt64

    init(fd: Int32, nonce: UInt64) {
        self.fd = fd
        self.nonce = nonce
    }

    deinit { close(fd) }
}
