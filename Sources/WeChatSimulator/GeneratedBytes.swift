import NIOCore

/// The bytes of generated items: chunk i (64 KiB) is splitmix64 seeded by (seed, i), little-endian. Any range
/// is computed from its chunks alone, so `bytes(of:)` and every Range request agree byte for byte.
enum GeneratedBytes {
    static let chunkSize = 64 * 1024

    static func seed(forID id: String) -> UInt64 {
        StableHash.fnv1a("wxmediafs-generated/" + id)
    }

    static func chunk(seed: UInt64, index: Int64) -> [UInt8] {
        var state = seed ^ (UInt64(bitPattern: index) &* 0xd6e8_feb8_6659_fd93)
        return [UInt8](unsafeUninitializedCapacity: chunkSize) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for offset in stride(from: 0, to: chunkSize, by: 8) {
                raw.storeBytes(of: StableHash.splitmix(&state).littleEndian, toByteOffset: offset, as: UInt64.self)
            }
            initialized = chunkSize
        }
    }

    static func read(seed: UInt64, at offset: Int64, count: Int) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(count)
        var position = offset
        let end = offset + Int64(count)
        while position < end {
            let index = position / Int64(chunkSize)
            let start = Int(position - index * Int64(chunkSize))
            let length = Int(min(Int64(chunkSize - start), end - position))
            out.writeBytes(chunk(seed: seed, index: index)[start..<start + length])
            position += Int64(length)
        }
        return out
    }
}
