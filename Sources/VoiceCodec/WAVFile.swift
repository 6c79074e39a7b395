/// A canonical 44-byte-header RIFF/WAVE file of 16-bit mono PCM.
public enum WAVFile {
    public static let headerSize = 44

    public static func bytes(samples: [Int16], sampleRate: Int) -> [UInt8] {
        let dataSize = samples.count * 2
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + dataSize)
        func append(_ text: String) { out += Array(text.utf8) }
        func append32(_ value: Int) { out += withUnsafeBytes(of: UInt32(value).littleEndian, Array.init) }
        func append16(_ value: Int) { out += withUnsafeBytes(of: UInt16(value).littleEndian, Array.init) }
        append("RIFF"); append32(36 + dataSize); append("WAVE")
        append("fmt "); append32(16); append16(1); append16(1); append32(sampleRate); append32(sampleRate * 2); append16(2); append16(16)
        append("data"); append32(dataSize)
        for sample in samples { out += withUnsafeBytes(of: sample.littleEndian, Array.init) }
        return out
    }
}
