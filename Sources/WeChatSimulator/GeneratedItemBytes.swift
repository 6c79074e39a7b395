import Foundation

/// The bytes the simulator serves for a generated item, computed by the same generator (``GeneratedBytes``), so a
/// test can compare a download with them without asking the simulator. The bytes depend only on (id, offset):
/// get the id from `/__sim/items` or ``GeneratedItem/resolvedID(index:)``.
public enum GeneratedItemBytes {
    public struct InvalidSize: Error, CustomStringConvertible {
        public let size: Int64
        public var description: String { "a generated item cannot have \(size) bytes" }
    }

    /// Writes (creating or truncating `path`) exactly the `size` bytes served for generated item `id`. Memory
    /// stays at one 64 KiB chunk, so multi-gigabyte items are fine.
    public static func write(id: String, size: Int64, to path: String) throws {
        guard size >= 0 else { throw InvalidSize(size: size) }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let seed = GeneratedBytes.seed(forID: id)
        let chunkSize = Int64(GeneratedBytes.chunkSize)
        var offset: Int64 = 0
        while offset < size {
            let count = Int(min(chunkSize, size - offset))
            try handle.write(contentsOf: GeneratedBytes.chunk(seed: seed, index: offset / chunkSize)[..<count])
            offset += Int64(count)
        }
    }

    /// `count` bytes at `offset` of generated item `id` (the caller keeps within the item's size).
    public static func bytes(id: String, offset: Int64, count: Int) -> [UInt8] {
        precondition(offset >= 0 && count >= 0, "a range of a generated item starts at 0 or later")
        var buffer = GeneratedBytes.read(seed: GeneratedBytes.seed(forID: id), at: offset, count: count)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}
