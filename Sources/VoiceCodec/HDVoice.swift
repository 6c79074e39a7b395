import CSpeex

/// WeChat's HD voice (`media/get/jssdk`, `audio/x-speex-with-header-byte; rate=16000`): wideband speex frames,
/// each packet preceded by one length byte, no container. Decoded with the system's libspeex into 16 kHz mono
/// 16-bit PCM, wrapped as a RIFF/WAVE file that any program opens.
///
/// A stream that does not decode whole fails, naming the packet: no audio is ever made up for a bad part.
public enum HDVoice {
    public static let sampleRate = 16_000

    public struct DecodeError: Error, CustomStringConvertible, Equatable {
        /// The packet (0-based) and the byte offset of its length byte.
        public let packet: Int
        public let offset: Int
        public let reason: String
        public var description: String { "speex packet \(packet) at byte \(offset): \(reason)" }
    }

    /// The PCM samples of a whole stream.
    public static func decode(_ stream: [UInt8]) throws(DecodeError) -> [Int16] {
        guard let state = speex_decoder_init(speex_lib_get_mode(SPEEX_MODEID_WB)) else {
            throw DecodeError(packet: 0, offset: 0, reason: "libspeex could not make a wideband decoder")
        }
        defer { speex_decoder_destroy(state) }
        var enhance: Int32 = 1
        speex_decoder_ctl(state, SPEEX_SET_ENH, &enhance)
        var frameSize: Int32 = 0
        speex_decoder_ctl(state, SPEEX_GET_FRAME_SIZE, &frameSize)
        var bits = SpeexBits()
        speex_bits_init(&bits)
        defer { speex_bits_destroy(&bits) }
        var samples: [Int16] = []
        samples.reserveCapacity(stream.count / 70 * Int(frameSize))  // ~70 bytes a 20 ms frame at WeChat's rate
        var frame = [Int16](repeating: 0, count: Int(frameSize))
        var offset = 0
        var packet = 0
        while offset < stream.count {
            let length = Int(stream[offset])
            guard length > 0 else { throw DecodeError(packet: packet, offset: offset, reason: "length byte 0") }
            guard offset + 1 + length <= stream.count else {
                throw DecodeError(packet: packet, offset: offset, reason: "length \(length) runs past the end (\(stream.count - offset - 1) bytes left)")
            }
            stream.withUnsafeBufferPointer { buffer in
                let start = UnsafeMutableRawPointer(mutating: buffer.baseAddress! + offset + 1).assumingMemoryBound(to: CChar.self)
                speex_bits_read_from(&bits, start, Int32(length))
            }
            // One or more frames per packet; what is left after the last is padding (under a byte).
            var decoded = 0
            while decoded == 0 || speex_bits_remaining(&bits) >= 8 {
                let result = frame.withUnsafeMutableBufferPointer { speex_decode_int(state, &bits, $0.baseAddress) }
                if result == -1, decoded > 0 { break }  // the packet's terminator
                guard result == 0, speex_bits_remaining(&bits) >= 0 else {
                    throw DecodeError(packet: packet, offset: offset, reason: result == -2 ? "corrupt frame" : "no frame in it")
                }
                samples += frame
                decoded += 1
            }
            offset += 1 + length
            packet += 1
        }
        guard packet > 0 else { throw DecodeError(packet: 0, offset: 0, reason: "empty stream") }
        return samples
    }

    /// The stream as a WAVE file: RIFF, PCM s16le, 16 kHz, mono.
    public static func wav(_ stream: [UInt8]) throws(DecodeError) -> [UInt8] {
        WAVFile.bytes(samples: try decode(stream), sampleRate: sampleRate)
    }
}
