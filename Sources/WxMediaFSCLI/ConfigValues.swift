/// The value types of settings that no library defines (TokenMode is in APIOptions.swift, ByteSize in ByteSize.swift).

/// How log lines are written: `text` (the default) or `json`, one object a line.
enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}

/// HOST:PORT of a listening socket: `127.0.0.1:9100`, `localhost:9100`, `[::1]:9100`.
struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let portText = text[text.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port)
        else { return nil }
        var host = Substring(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
            guard host.contains(":") else { return nil }  // brackets are for IPv6 only
        } else if host.contains(":") {
            return nil  // an IPv6 host needs brackets: [::1]:9100
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "[" || $0 == "]" }) else { return nil }
        self.host = String(host)
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
