import CFileSpace
#if canImport(Glibc)
import Glibc
#endif

/// The blocking operations on one pack (PackFormat.swift), each through `syscall`. Run on `DiskIO` threads.
enum PackFile {
    /// What a read of a record's data found.
    enum DataRead {
        case data(CheckedBlock)
        /// Zeros: the record was punched out (evicted or replaced by the owner).
        case absent
        /// Something else, or bytes that fail their checksum.
        case corrupt
    }

    /// Makes a pack at `path` (never over an existing file): its descriptor, open for reading and writing, and nonce.
    static func create(_ path: String) throws -> (fd: Int32, nonce: UInt64) {
        let nonce = UInt64.random(in: 1...UInt64.max)
        let fd = try syscall("create \(path)") { Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        do {
            try ItemFile.write(fd, path, PackFormat.packHeader(nonce: nonce), at: 0)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        return (fd, nonce)
    }

    /// A descriptor of the pack at `path` and its nonce; nil when there is none or it is not a valid pack.
    static func open(_ path: String, writable: Bool) throws -> (fd: Int32, nonce: UInt64)? {
        guard let fd = try ItemFile.open(path, writable: writable) else { return nil }
        let header = try? ItemFile.read(fd, path, offset: 0, count: PackFormat.headerSize)
        guard let nonce = header?.withUnsafeBytes({ PackFormat.packNonce($0) }) else {
            close(fd)
            return nil
        }
        return (fd, nonce)
    }

    /// Writes `record` at `offset`: everything after its header first, then the header, so a record whose header
    /// is valid has had its bytes written (a crash between leaves zeros where the header goes: stepped over).
    static func append(_ fd: Int32, _ path: String, _ record: [UInt8], at offset: Int) throws {
        try ItemFile.write(fd, path, Array(record[PackFormat.recordHeaderSize...]), at: offset + PackFormat.recordHeaderSize)
        try ItemFile.write(fd, path, Array(record[..<PackFormat.recordHeaderSize]), at: offset)
    }

    /// The data of `key`'s record at `offset` (`length` bytes, as the index knows it), read in one call and checked.
    static func readData(_ fd: Int32, _ path: String, nonce: UInt64, offset: Int, key: CacheKey, length: Int) throws -> DataRead {
        let start = PackFormat.recordHeaderSize + key.id.utf8.count
        let bytes = try ItemFile.read(fd, path, offset: offset, count: start + length)
        return bytes.withUnsafeBytes { raw in
            guard let record = PackFormat.parseRecord(raw, nonce: nonce, offset: offset, maxData: length) else {
                return raw.prefix(PackFormat.recordHeaderSize).allSatisfy { $0 == 0 } ? .absent : .corrupt
            }
            let data = UnsafeRawBufferPointer(rebasing: raw[start...])
            guard record.key == key, record.dataLength == length, data.count == length,
                  CRC32C.checksum(data) == record.dataChecksum else { return .corrupt }
            return .data(CheckedBlock(bytes: Array(data), checksum: record.dataChecksum))
        }
    }

    /// The header of `key`'s record at `offset`, nil when it is not there (punched, or something else).
    static func readRecord(_ fd: Int32, _ path: String, nonce: UInt64, offset: Int, key: CacheKey) throws -> PackFormat.Record? {
        let bytes = try ItemFile.read(fd, path, offset: offset, count: PackFormat.recordHeaderSize + key.id.utf8.count)
        let record = bytes.withUnsafeBytes { PackFormat.parseRecord($0, nonce: nonce, offset: offset, maxData: Int(UInt32.max)) }
        return record?.key == key ? record : nil
    }

    /// Frees `[offset, offset + length)`: it reads as zeros after. The range grows to the page boundaries around it
    /// where the bytes up to them are zeros already (records punched before), so pages shared by two dead records
    /// are freed too; zeros punched stay zeros, so no live byte changes. Where the file system cannot punch, the
    /// record is overwritten with zeros (gone, and stepped over by a scan; its space stays until the pack goes).
    static func punch(_ fd: Int32, _ path: String, offset: Int, length: Int) throws {
        let page = 4096
        var start = offset, end = offset + length
        let low = start / page * page, high = (end + page - 1) / page * page
        if low < start, try ItemFile.read(fd, path, offset: low, count: start - low).allSatisfy({ $0 == 0 }) { start = low }
        if high > end, try ItemFile.read(fd, path, offset: end, count: high - end).allSatisfy({ $0 == 0 }) { end = high }
        if wx_punch_hole(fd, Int64(start), Int64(end - start)) == 0 { return }
        guard errno == EOPNOTSUPP else { throw CacheIOError(errno: errno, operation: "punch \(path)") }
        try ItemFile.write(fd, path, [UInt8](repeating: 0, count: length), at: offset)  // zeros a scan steps over
    }

    /// Every valid record of the pack, in order: its offset, header and meta (a record whose meta fails its
    /// checksum is skipped). Reads the file front to back in large pieces, skipping holes. Stops at anything that
    /// is neither zeros nor a valid record (a torn write's remains): what follows is not trusted.
    static func scan(_ fd: Int32, _ path: String, nonce: UInt64, maxData: Int,
                     _ body: (Int, PackFormat.Record, [UInt8]) -> Void) throws {
        var status = stat()
        _ = try syscall("stat \(path)") { fstat(fd, &status) }
        let size = Int(status.st_size)
        var window: [UInt8] = [], windowStart = 0
        /// The bytes at `offset..<offset+count` are in the window (fewer at the end of the file).
        func load(_ offset: Int, _ count: Int) throws {
            guard offset < windowStart || offset + count > windowStart + window.count else { return }
            windowStart = offset
            window = try ItemFile.read(fd, path, offset: offset, count: min(max(count, 1 << 20), size - offset))
        }
        var offset = PackFormat.headerSize
        while offset + PackFormat.recordHeaderSize <= size {
            try load(offset, PackFormat.recordHeaderSize + 255)
            let at = offset - windowStart
            if window[at..<(at + PackFormat.alignment)].allSatisfy({ $0 == 0 }) {
                let next = wx_next_data(fd, Int64(offset))
                offset = next > offset + PackFormat.alignment ? Int(next) / PackFormat.alignment * PackFormat.alignment : offset + PackFormat.alignment
                if next < 0 { break }  // ENXIO: nothing but a hole to the end
                continue
            }
            let parsed = window.withUnsafeBytes { raw in
                PackFormat.parseRecord(UnsafeRawBufferPointer(rebasing: raw[at...]), nonce: nonce, offset: offset, maxData: maxData)
            }
            guard let record = parsed, offset + record.length <= size else { break }
            try load(offset, record.length)
            let metaStart = offset - windowStart + record.dataOffset + record.dataLength
            let meta = Array(window[metaStart..<(metaStart + record.metaLength)])
            if CRC32C.checksum(meta) == record.metaChecksum { body(offset, record, meta) }
            offset += record.length
        }
    }
}
