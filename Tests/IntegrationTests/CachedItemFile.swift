import Foundation

/// An item file of the mount's cache (format 2, `<cache>/v2/<kind>/<id>`), read by the test's own reading of the
/// layout in Sources/MediaCache/MediaCache.swift (a 64-byte header with the table capacity at offset 16, then a
/// table of (length u32, CRC-32C u32) per block, then two meta slots of the capacity at offset 20, each starting with its length), not by the
/// code under test.
struct CachedItemFile {
    let path: String

    init(cache: String, kind: String = "media", id: String) { path = "\(cache)/v2/\(kind)/\(id)" }

    private var bytes: [UInt8] { FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }

    private static func u32(_ bytes: [UInt8], _ at: Int) -> Int {
        guard bytes.count >= at + 4 else { return 0 }
        return (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
    }

    /// Block index → (data length, CRC-32C) of every block the table vouches for.
    func blocks() -> [Int: (length: Int, crc: Int)] {
        let all = bytes
        guard all.count >= 64, Array(all[0..<4]) == Array("WXMI".utf8) else { return [:] }
        var found: [Int: (length: Int, crc: Int)] = [:]
        for index in 0..<Self.u32(all, 16) where Self.u32(all, 64 + 8 * index) > 0 {
            found[index] = (Self.u32(all, 64 + 8 * index), Self.u32(all, 68 + 8 * index))
        }
        return found
    }

    /// Whether a meta record has been written in either of the two slots (a length that is not 0).
    var hasMeta: Bool {
        let all = bytes
        guard all.count >= 64 else { return false }
        let slots = 64 + 8 * Self.u32(all, 16), capacity = Self.u32(all, 20)
        return Self.u32(all, slots) > 0 || Self.u32(all, slots + capacity) > 0
    }

    var inode: UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }
}
