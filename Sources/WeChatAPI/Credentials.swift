import Foundation

/// An appid and its appsecret. The secret is read from a file or the environment, never from argv,
/// and no description of this type shows it.
public struct Credentials: Sendable, CustomStringConvertible {
    public let appID: String
    package let secret: String

    public init(appID: String, secret: String) {
        self.appID = appID
        self.secret = secret.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `--secret-file PATH` first, then `WECHAT_APPSECRET`.
    public static func load(appID: String?, secretFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Credentials {
        guard let appID = appID ?? environment["WECHAT_APPID"], !appID.isEmpty else {
            throw WeChatError(.local, "no appid: pass --appid or set WECHAT_APPID")
        }
        let secret: String
        if let secretFile {
            if let problem = SecretFile.permissionProblem(secretFile) { throw WeChatError(.local, "the secret file \(problem)") }
            guard let data = FileManager.default.contents(atPath: secretFile), let text = String(data: data, encoding: .utf8) else {
                throw WeChatError(.local, "cannot read the secret file \(secretFile)")
            }
            secret = text
        } else if let fromEnvironment = environment["WECHAT_APPSECRET"] {
            secret = fromEnvironment
        } else {
            throw WeChatError(.local, "no appsecret: pass --secret-file PATH or set WECHAT_APPSECRET")
        }
        let credentials = Credentials(appID: appID, secret: secret)
        guard !credentials.secret.isEmpty else { throw WeChatError(.local, "the appsecret is empty") }
        return credentials
    }

    public var description: String { "Credentials(appID: \(appID), secret: <redacted>)" }
}
