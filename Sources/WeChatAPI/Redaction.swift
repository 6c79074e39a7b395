/// Removes secrets from anything that may be logged: `access_token=`, `secret=` values in URLs and bodies.
public enum Redaction {
    static let secretKeys = ["access_token=", "secret="]

    public static func redact(_ text: String) -> String {
        var result = text
        for key in secretKeys {
            var searchStart = result.startIndex
            while let keyRange = result.range(of: key, range: searchStart..<result.endIndex) {
                let valueEnd = result[keyRange.upperBound...].firstIndex(where: { $0 == "&" || $0 == "\"" || $0 == " " }) ?? result.endIndex
                result.replaceSubrange(keyRange.upperBound..<valueEnd, with: "REDACTED")
                searchStart = result.index(keyRange.upperBound, offsetBy: "REDACTED".count)
            }
        }
        return result
    }
}
