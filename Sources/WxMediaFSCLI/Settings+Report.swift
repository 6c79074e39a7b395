import Foundation

extension Settings {
    /// What `config check` prints: a header, one `key = value  # origin` line per key in TOML (a key that is not
    /// set is a comment), and where the appsecret would be read from, never the secret. `readable` only asks
    /// whether the secret file could be opened; nothing here reads it.
    func report(readable: (String) -> Bool = { access($0, R_OK) == 0 }) -> [String] {
        var lines = ["# wxmediafs effective configuration; config file: \(configFile ?? "none")"]
        for key in ConfigKey.allCases {
            if let value = literal(key), let origin = origins[key] {
                lines.append("\(key.name) = \(value)  # \(origin.comment)")
            } else {
                lines.append("# \(key.name): not set")
            }
        }
        let secretLine = switch secret {
        case .none: tokenFile == nil ? "appsecret: not set" : "appsecret: not set (not needed with token_file)"
        case .environment(let name): "appsecret: <redacted> (from \(name))"
        case .file(let path): "appsecret: <redacted> (from secret_file \(path)\(readable(path) ? "" : ", which cannot be read"))"
        }
        lines.append("# " + secretLine)
        if sharedCache != nil { lines.append("# " + sharedCredentialsLine(readable: readable)) }
        if callbackListen != nil || callbackToken != .none || callbackAESKey != .none {
            lines.append("# " + Self.secretLine("callback token", callbackToken, fileKey: .callbackTokenFile, readable: readable))
            lines.append("# " + Self.secretLine("callback EncodingAESKey", callbackAESKey, fileKey: .callbackAESKeyFile, readable: readable,
                                               unset: "not set (plain mode)"))
        }
        return lines
    }

    /// `name: <redacted> (from …)`, or `name: not set`.
    static func secretLine(_ name: String, _ source: SecretSource, fileKey: ConfigKey, readable: (String) -> Bool,
                           unset: String = "not set") -> String {
        switch source {
        case .none: "\(name): \(unset)"
        case .environment(let variable): "\(name): <redacted> (from \(variable))"
        case .file(let path): "\(name): <redacted> (from \(fileKey.name) \(path)\(readable(path) ? "" : ", which cannot be read"))"
        }
    }

    /// The value of `key` as a TOML literal; nil if not set.
    func literal(_ key: ConfigKey) -> String? {
        switch key {
        case .apiBase: TOMLLiteral.string(apiBase)
        case .appid: appid.map(TOMLLiteral.string)
        case .secretFile: secretFile.map(TOMLLiteral.string)
        case .tokenMode: TOMLLiteral.string(tokenMode.rawValue)
        case .tokenFile: tokenFile.map(TOMLLiteral.string)
        case .cacheDir: TOMLLiteral.string(cacheDir)
        case .cacheSize: TOMLLiteral.string(cacheSize.text)
        case .negativeTTL: TOMLLiteral.number(negativeTTL)
        case .timeout: TOMLLiteral.number(timeout)
        case .logLevel: TOMLLiteral.string(logLevel.rawValue)
        case .logFormat: TOMLLiteral.string(logFormat.rawValue)
        case .logFile: logFile.map(TOMLLiteral.string)
        case .metricsListen: metricsListen.map { TOMLLiteral.string($0.description) }
        case .callbackListen: callbackListen.map { TOMLLiteral.string($0.description) }
        case .callbackTokenFile: callbackTokenFile.map(TOMLLiteral.string)
        case .callbackAESKeyFile: callbackAESKeyFile.map(TOMLLiteral.string)
        case .maxCallsPerDay: String(maxCallsPerDay)
        case .mountOptions: TOMLLiteral.strings(mountOptions)
        case .sharedCache: sharedCache.map(TOMLLiteral.string)
        case .s3Endpoint: TOMLLiteral.string(s3Endpoint)
        case .s3Region: TOMLLiteral.string(s3Region)
        case .s3PathStyle: s3PathStyle ? "true" : "false"
        case .s3CredentialsFile: s3CredentialsFile.map(TOMLLiteral.string)
        }
    }
}
