/// A few distinct strings (content types, extensions) stored once and named by a small code in each index
/// entry. Bounded: past `capacity` distinct strings (a server inventing a content type per item), `code`
/// answers nil and the caller keeps the string itself.
struct StringInterner {
    private var strings: [String] = []
    private var codes: [String: UInt16] = [:]
    private let capacity: Int

    init(capacity: Int = 1024) { self.capacity = min(capacity, Int(UInt16.max)) }

    /// The code of `string` (1…), made if there is room; 0 stands for nil.
    mutating func code(_ string: String?) -> UInt16? {
        guard let string else { return 0 }
        if let code = codes[string] { return code }
        guard strings.count < capacity else { return nil }
        strings.append(string)
        let code = UInt16(strings.count)
        codes[string] = code
        return code
    }

    /// The string of a code from `code` (nil for 0).
    func string(_ code: UInt16) -> String? { code == 0 ? nil : strings[Int(code) - 1] }
}
