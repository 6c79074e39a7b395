import Foundation
import WeChatAPI
import WeChatCallback

extension Settings {
    /// The variables that hold the callback's secrets themselves (its `*_FILE` keys name files instead).
    static let callbackTokenVariable = "WXMEDIAFS_CALLBACK_TOKEN"
    static let callbackAESKeyVariable = "WXMEDIAFS_CALLBACK_AES_KEY"

    /// What the live callback checks pushes with; nil when `callback_listen` is not set. The token and the
    /// EncodingAESKey are read here, from their files or variables, and never named in an error: only where they
    /// came from is. Safe mode needs the appid, which the decrypted messages must carry.
    func callbackConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> CallbackConfiguration? {
        guard callbackListen != nil else { return nil }
        guard let token = try Self.read(callbackToken, environment: environment) else {
            throw ConfigError("callback_listen is set but there is no callback token — put the message push Token in a file (mode 0600) "
                + "named by callback_token_file or --callback-token-file, or set \(Self.callbackTokenVariable)")
        }
        var configuration = CallbackConfiguration(token: token)
        if let text = try Self.read(callbackAESKey, environment: environment) {
            guard let key = EncodingAESKey(text) else {
                throw ConfigError("the callback EncodingAESKey (from \(callbackAESKey.origin)) is not the 43 characters of base64 "
                    + "shown in WeChat's admin console (设置与开发 → 基本配置 → 消息加解密密钥)")
            }
            guard let appid else {
                throw ConfigError("safe mode (a callback EncodingAESKey) needs the appid the messages are sealed for — set appid, "
                    + "WXMEDIAFS_APPID or --appid")
            }
            configuration.cipher = CallbackCipher(key: key, appID: appid)
        }
        return configuration
    }

    /// The secret `source` gives, trimmed; nil if it gives none. An unreadable or empty one is an error.
    private static func read(_ source: SecretSource, environment: [String: String]) throws(ConfigError) -> String? {
        let text: String
        switch source {
        case .none: return nil
        case .environment(let name): text = environment[name] ?? ""
        case .file(let path):
            if let problem = SecretFile.permissionProblem(path) { throw ConfigError("the callback secret file \(problem)") }
            guard let data = FileManager.default.contents(atPath: path), let contents = String(data: data, encoding: .utf8) else {
                throw ConfigError("cannot read \(path), named as a callback secret file (missing? permissions?)")
            }
            text = contents
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ConfigError("\(source.origin) is empty") }
        return trimmed
    }
}

extension SecretSource {
    /// Where it is, for messages: `the file /etc/…` or `WXMEDIAFS_CALLBACK_TOKEN`.
    var origin: String {
        switch self {
        case .file(let path): "the file \(path)"
        case .environment(let name): name
        case .none: "nowhere"
        }
    }
}
