#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A minimal multipart/form-data reader (RFC 7578): enough for media/upload, which wants the part named
/// `media`, its filename, its Content-Type and its bytes.
struct MultipartPart: Sendable {
    var name: String?
    var filename: String?
    /// The part's Content-Type header value, untouched (nil when the part has none).
    var contentType: String?
    var body: ArraySlice<UInt8>
}

enum Multipart {
    /// The boundary parameter of a `multipart/form-data` Content-Type.
    static func boundary(contentType: String) -> String? {
        let fields = HeaderParameters.parse(contentType)
        guard fields.value.lowercased() == "multipart/form-data", let boundary = fields.parameters["boundary"],
              !boundary.isEmpty else { return nil }
        return boundary
    }

    /// The parts between the delimiters; nil when not even one delimiter is there.
    static func parse(_ body: [UInt8], boundary: String) -> [MultipartPart]? {
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        guard var position = find(delimiter, in: body[...], from: 0) else { return nil }
        position += delimiter.count
        var parts: [MultipartPart] = []
        while position + 2 <= body.count, !(body[position] == UInt8(ascii: "-") && body[position + 1] == UInt8(ascii: "-")) {
            guard let lineEnd = find([13, 10], in: body[...], from: position),
                  let end = find(separator, in: body[...], from: lineEnd + 2) else { break }
            parts.append(part(body[(lineEnd + 2)..<end]))
            position = end + separator.count
        }
        return parts
    }

    private static func part(_ bytes: ArraySlice<UInt8>) -> MultipartPart {
        let headerEnd: Int
        let bodyStart: Int
        if bytes.starts(with: [13, 10]) {
            (headerEnd, bodyStart) = (bytes.startIndex, bytes.startIndex + 2)
        } else if let blank = find([13, 10, 13, 10], in: bytes, from: bytes.startIndex) {
            (headerEnd, bodyStart) = (blank, blank + 4)
        } else {
            return MultipartPart(body: [])
        }
        var result = MultipartPart(body: bytes[bodyStart...])
        let head = String(decoding: bytes[bytes.startIndex..<headerEnd], as: UTF8.self)
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = String(line[line.index(after: colon)...])
            switch line[..<colon].lowercased() {
            case "content-disposition":
                let parameters = HeaderParameters.parse(value).parameters
                result.name = parameters["name"]
                result.filename = parameters["filename"]
            case "content-type":
                result.contentType = value.trimmingCharacters(in: .whitespaces)
            default:
                continue
            }
        }
        return result
    }

    /// The index of the first `needle` in `haystack` at or after `start` (memchr for the first byte, then memcmp).
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                let base = haystack.startIndex
                var offset = start - base
                let last = hay.count - pin.count
                while offset <= last {
                    guard let hit = memchr(hay.baseAddress! + offset, Int32(pin[0]), last - offset + 1) else { return nil }
                    offset = hay.baseAddress!.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hay.baseAddress! + offset, pin.baseAddress!, pin.count) == 0 { return base + offset }
                    offset += 1
                }
                return nil
            }
        }
    }
}

/// `value; key=token; key="quoted; string"`, as in Content-Type and Content-Disposition. Keys are lower-cased.
enum HeaderParameters {
    static func parse(_ header: String) -> (value: String, parameters: [String: String]) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            parameters[key] = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return (pieces[0].trimmingCharacters(in: .whitespaces), parameters)
    }
}
