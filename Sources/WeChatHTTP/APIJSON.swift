import Foundation

/// A JSON object from the API, read leniently: numbers may come as strings (`created_at`, even `errcode`).
struct APIJSON {
    let object: [String: Any]

    init?(_ bytes: some Collection<UInt8>) {
        guard let first = bytes.first(where: { !$0.isWhitespace }), first == UInt8(ascii: "{"),
              let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)), let object = parsed as? [String: Any]
        else { return nil }
        self.object = object
    }

    func string(_ key: String) -> String? {
        switch object[key] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    func int(_ key: String) -> Int? {
        switch object[key] {
        case let number as NSNumber: return number.intValue
        case let text as String: return Int(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// The error this object carries, if `errcode` is present and not 0. The rid is cut out of `errmsg`.
    func error(endpoint: String) -> WeChatError? {
        guard let code = int("errcode"), code != 0 else { return nil }
        let message = Redaction.redact(string("errmsg") ?? "")
        return WeChatError(.api(errcode: code), message, rid: Self.rid(in: message), endpoint: endpoint)
    }

    static func rid(in message: String) -> String? {
        guard let range = message.range(of: "rid: ") else { return nil }
        let rest = message[range.upperBound...]
        let rid = rest.prefix(while: { !$0.isWhitespace && $0 != "," })
        return rid.isEmpty ? nil : String(rid)
    }
}

extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}
