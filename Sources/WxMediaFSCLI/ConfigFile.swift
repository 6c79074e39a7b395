import Foundation
import TOMLKit

/// A config file: flat TOML, the keys of ConfigKey, all optional. Where it is, the settings it gives, and every
/// way it can be wrong as one line naming the file, the key and the fix.
struct ConfigFile: Sendable {
    static let standardPath = "/etc/wxmediafs/config.toml"

    let path: String
    let layer: SettingsLayer

    /// `--config FILE`, else `$WXMEDIAFS_CONFIG`, else the standard path if a file is there (nil: none, which is
    /// fine). A file named by the flag or the variable must exist.
    static func load(flag: String?, environment: [String: String], standardPath: String = standardPath) throws(ConfigError) -> ConfigFile? {
        let named = flag.map { ($0, "--config") } ?? environment["WXMEDIAFS_CONFIG"].flatMap { $0.isEmpty ? nil : ($0, "WXMEDIAFS_CONFIG") }
        let path = named?.0 ?? standardPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            guard let (_, namer) = named else { return nil }
            throw ConfigError("\(path): no such file (named by \(namer))")
        }
        guard !isDirectory.boolValue else { throw ConfigError("\(path): is a directory, not a config file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("\(path): cannot be read (permissions?)") }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError("\(path): not UTF-8 text") }
        return try parse(text, path: path)
    }

    /// Parses and checks a config file's text; `path` is only for the messages.
    static func parse(_ text: String, path: String) throws(ConfigError) -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError("\(path):\(error.source.begin.line):\(error.source.begin.column): TOML syntax error: \(error.description)")
        } catch {
            throw ConfigError("\(path): TOML syntax error: \(error)")
        }
        let contents: ConfigFileContents
        do {
            contents = try TOMLDecoder(strictDecoding: true).decode(ConfigFileContents.self, from: table)
        } catch let error as UnexpectedKeysError {
            throw unexpected(Array(error.keys.keys), path: path)
        } catch let error as DecodingError {
            throw wrongType(error, table: table, path: path)
        } catch {
            throw ConfigError("\(path): \(error)")
        }
        return ConfigFile(path: path, layer: try contents.layer(path: path))
    }

    /// The secret never sits among the settings; any other unknown key is most likely a typo.
    private static func unexpected(_ keys: [String], path: String) -> ConfigError {
        if let secret = keys.first(where: { ["appsecret", "app_secret", "secret"].contains($0.lowercased()) }) {
            return ConfigError("\(path): \"\(secret)\" is not allowed here: put the appsecret in a file of its own (mode 0600) "
                + "and name that file with secret_file, or set WECHAT_APPSECRET")
        }
        for (names, fileKey, variable) in [(["callback_token", "token"], ConfigKey.callbackTokenFile, Settings.callbackTokenVariable),
                                           (["callback_aes_key", "encoding_aes_key", "aes_key"], .callbackAESKeyFile, Settings.callbackAESKeyVariable)] {
            if let secret = keys.first(where: { names.contains($0.lowercased()) }) {
                return ConfigError("\(path): \"\(secret)\" is not allowed here: put it in a file of its own (mode 0600) "
                    + "and name that file with \(fileKey.name), or set \(variable)")
            }
        }
        let names = keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        return ConfigError("\(path): unknown key\(keys.count == 1 ? "" : "s") \(names) (known: \(ConfigKey.known))")
    }

    /// TOMLKit reports a value of the wrong type as a DecodingError whose coding path starts with the key.
    private static func wrongType(_ error: DecodingError, table: TOMLTable, path: String) -> ConfigError {
        let codingPath: [any CodingKey] = switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.codingPath
        case .keyNotFound(let key, let context): context.codingPath.isEmpty ? [key] : context.codingPath
        @unknown default: []
        }
        guard let name = codingPath.first?.stringValue, let key = ConfigKey(rawValue: name) else {
            return ConfigError("\(path): \(error)")
        }
        let found = switch table[name]?.type {
        case .array?: "not an array of other values"
        case .bool?: "not a boolean"
        case let type?: "not \(article(type.description)) \(type.description)"
        case nil: "not found"
        }
        return ConfigError("\(path): \(name) must be \(key.expectedType), \(found)")
    }

    private static func article(_ noun: String) -> String { noun.first.map { "aeiou".contains($0) } == true ? "an" : "a" }
}

/// A config file's keys as TOML typed them, before their values are checked (strings, numbers, one array).
private struct ConfigFileContents: Decodable {
    var strings: [ConfigKey: String] = [:]
    var negativeTTL: Double?
    var timeout: Double?
    var maxCallsPerDay: Int?
    var mountOptions: [String]?
    var s3PathStyle: Bool?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ConfigKey.self)
        for key in ConfigKey.allCases where container.contains(key) {
            switch key {
            case .negativeTTL:  // 60 or 60.0
                negativeTTL = try (try? container.decode(Double.self, forKey: key)) ?? Double(container.decode(Int.self, forKey: key))
            case .timeout:
                timeout = try (try? container.decode(Double.self, forKey: key)) ?? Double(container.decode(Int.self, forKey: key))
            case .maxCallsPerDay: maxCallsPerDay = try container.decode(Int.self, forKey: key)
            case .mountOptions: mountOptions = try container.decode([String].self, forKey: key)
            case .s3PathStyle: s3PathStyle = try container.decode(Bool.self, forKey: key)
            default: strings[key] = try container.decode(String.self, forKey: key)
            }
        }
    }

    /// The checked values, or the first bad one as `path: key = value: why`.
    func layer(path: String) throws(ConfigError) -> SettingsLayer {
        var layer = SettingsLayer()
        var checking = ""  // `key = value`, for the message
        do throws(ValueProblem) {
            for key in ConfigKey.allCases {
                guard let text = strings[key] else { continue }
                checking = "\(key.name) = \(TOMLLiteral.string(text))"
                try layer.set(key, text: text)
            }
            if let negativeTTL {
                checking = "negative_ttl = \(TOMLLiteral.number(negativeTTL))"
                try layer.set(negativeTTL: negativeTTL)
            }
            if let timeout {
                checking = "timeout = \(TOMLLiteral.number(timeout))"
                try layer.set(timeout: timeout)
            }
            if let maxCallsPerDay {
                checking = "max_calls_per_day = \(maxCallsPerDay)"
                try layer.set(maxCallsPerDay: maxCallsPerDay)
            }
        } catch {
            throw ConfigError("\(path): \(checking): \(error.reason)")
        }
        if let mountOptions { layer.mountOptions = mountOptions.filter { !$0.isEmpty } }
        if let s3PathStyle { layer.s3PathStyle = s3PathStyle }
        return layer
    }
}
