import Glibc
import Testing
import WeChatAPI
@testable import MediaFS

/// The errcode → errno table of the API doc, every code we know, and the fallback.
@Suite struct ErrnoTableTests {
    static let table: [(Int, Errno)] = [
        (40007, .noEntry), (46001, .noEntry),
        (40001, .accessDenied), (40014, .accessDenied), (42001, .accessDenied),
        (40013, .accessDenied), (40125, .accessDenied), (41002, .accessDenied), (41004, .accessDenied), (40243, .accessDenied),
        (40164, .accessDenied), (61004, .accessDenied), (89506, .accessDenied), (89507, .accessDenied),
        (48001, .accessDenied),
        (48004, .notPermitted), (50001, .notPermitted), (50002, .notPermitted),
        (-1, .io), (89503, .io), (45011, .io),
        (45009, .quota),
        (40004, .invalid), (40005, .invalid), (41005, .invalid), (44001, .invalid), (41006, .invalid),
        (40006, .fileTooLarge), (40009, .fileTooLarge), (40010, .fileTooLarge), (40011, .fileTooLarge), (40012, .fileTooLarge),
        (45001, .fileTooLarge), (45002, .fileTooLarge), (45007, .fileTooLarge),
        (99999, .io), (12345, .io),
    ]

    @Test func everyKnownErrcode() {
        for (code, expected) in Self.table {
            #expect(FSError(WeChatError(.api(errcode: code), "x")).errno == expected, "errcode \(code)")
        }
    }

    @Test func transportAndHTTP() {
        #expect(FSError(WeChatError(.timeout, "x")).errno == .timedOut)
        #expect(FSError(WeChatError(.transport, "x")).errno == .io)
        #expect(FSError(WeChatError(.http(status: 502), "x")).errno == .io)
        #expect(FSError(WeChatError(.badResponse, "x")).errno == .io)
        #expect(Errno(WeChatErrorCategory.busy) != Errno(rawValue: EAGAIN))
    }
}
