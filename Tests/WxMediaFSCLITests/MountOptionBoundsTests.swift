import ArgumentParser
import Testing
@testable import WxMediaFSCLI

/// Issue 18, points 1 and 10: numbers from the command line are held to the same bounds as the config file's,
/// and a secret given as a FUSE option is refused before libfuse (which echoes unknown options) sees it.
@Suite struct MountOptionBoundsTests {
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try MountCommand.parse(["/mnt/wx"] + arguments)
            return nil
        } catch {
            return MountCommand.message(for: error)
        }
    }

    @Test func aSecretAsAMountOptionIsRefusedWithoutShowingIt() {
        for key in ["secret", "appsecret", "callback_token", "access_token"] {
            let message = refusal(["-o", "allow_other,\(key)=TopSecret123"])
            #expect(message?.contains("refused") == true, "\(key): \(message ?? "accepted")")
            #expect(message?.contains("TopSecret123") == false)
        }
        #expect(refusal(["-o", "allow_other,ro"]) == nil)
    }

    @Test func numbersOutOfBoundsAreRefused() {
        for arguments in [["--timeout", "1e16"], ["--timeout", "0"], ["--timeout", "nan"], ["--negative-ttl", "1e308"],
                          ["--max-calls-per-day", "9223372036854775807"]] {
            #expect(refusal(arguments) != nil, "\(arguments)")
        }
        #expect(refusal(["--timeout", "30", "--negative-ttl", "60", "--max-calls-per-day", "150000"]) == nil)
    }

    @Test func theConfigFileHoldsTheSameBounds() {
        var layer = SettingsLayer()
        #expect(throws: ValueProblem.self) { try layer.set(.timeout, text: "1e308") }
        #expect(throws: ValueProblem.self) { try layer.set(timeout: 1e16) }
        #expect((try? layer.set(timeout: 3_600)) != nil)
    }
}
