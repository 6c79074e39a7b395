/// Secrets never reach a log: the values of these query parameters are replaced before a URI is logged.
enum Redaction {
    static let secretParameters: Set<Substring> = ["access_token", "secret", "appsecret"]

    static func uri(_ uri: String) -> String {
        guard let question = uri.firstIndex(of: "?") else { return uri }
        let query = uri[uri.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            guard let equals = pair.firstIndex(of: "="), secretParameters.contains(pair[..<equals]) else { return String(pair) }
            return pair[...equals] + "REDACTED"
        }
        return uri[...question] + query.joined(separator: "&")
    }
}
