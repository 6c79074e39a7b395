import ArgumentParser
import Foundation
import MediaFS
import WeChatAPI

/// Why a mount could not start, as one line that names the fix and an exit status of its own, so that an
/// admin (or systemd's `RestartPreventExitStatus=`) can tell them apart:
///
/// | status | cause |
/// |---|---|
/// | 2 (ENOENT) | the mountpoint does not exist |
/// | 13 (EACCES) | appid or appsecret rejected (40013, 40125, …); /dev/fuse not open to this user |
/// | 16 (EBUSY) | the cache directory belongs to another mount |
/// | 17 (EEXIST) | something is already mounted there |
/// | 19 (ENODEV) | /dev/fuse is missing |
/// | 20 (ENOTDIR) | the mountpoint is not a directory |
/// | 39 (ENOTEMPTY) | the mountpoint is not empty (`-o nonempty` mounts over it) |
/// | 65 (ENOPKG) | fuse3 is not installed (fusermount3 is needed) |
/// | 69 (EX_UNAVAILABLE) | the API cannot be reached |
/// | 77 (EX_NOPERM) | this machine's IP is not in the account's whitelist (40164, 61004, …) |
/// | 78 (EX_CONFIG) | a setting cannot be used (config file, environment, flag, an unknown `-o`), no appid or secret, a secret file that cannot be read or that others can read |
///
/// Every command ends through this table (`fail`), so the same cause has the same status from `mount`, `get`,
/// `quota` and `upload`.
struct StartupFailure: Error, CustomStringConvertible {
    let status: Int32
    let message: String

    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }

    static let unreachable: Int32 = 69
    static let ipRefused: Int32 = 77

    /// The failure a startup error stands for, or nil to report it the usual way (errno as status).
    static func classify(_ error: any Error, apiBase: String) -> StartupFailure? {
        if let failure = error as? StartupFailure { return failure }
        guard let error = error as? WeChatError else { return nil }
        switch error.category {
        case .credentials:
            return StartupFailure(13, "\(error.description) — check the appid and the appsecret (mp.weixin.qq.com → 设置与开发 → 基本配置; a reset secret invalidates the old one)")
        case .ipRefused:
            let ip = refusedIP(in: error.message).map { "this machine's IP \($0)" } ?? "this machine's IP"
            return StartupFailure(ipRefused, "\(error.description) — add \(ip) to the account's IP whitelist (mp.weixin.qq.com → 设置与开发 → 基本配置 → IP白名单)")
        case .transport, .timeout:
            return StartupFailure(unreachable, "cannot reach the API at \(apiBase): \(plainTransport(error)) — check the network, a proxy or firewall, and api_base")
        case .local:
            return StartupFailure(ConfigError.exitCode.rawValue, error.message)
        default:
            return nil
        }
    }

    /// A transport failure in words, without the HTTP library's internals.
    static func plainTransport(_ error: WeChatError) -> String {
        error.category == .timeout ? "no answer in time" : error.plainTransportReason
    }

    /// The address in WeChat's errmsg: "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist rid: …".
    static func refusedIP(in message: String) -> String? {
        guard let range = message.range(of: "invalid ip ") else { return nil }
        let rest = message[range.upperBound...]
        let ip = rest.prefix { !$0.isWhitespace && $0 != "," }
        return ip.isEmpty ? nil : String(ip)
    }
}

/// Ends `mount` with the failure's own status and line, else the usual way.
func failMount(_ error: any Error, mountpoint: String, apiBase: String) -> ExitCode {
    guard let failure = StartupFailure.classify(error, apiBase: apiBase) else { return fail(error, context: "mount \(mountpoint)") }
    FileHandle.standardError.write(Data("wxmediafs: mount \(mountpoint): \(failure.message)\n".utf8))
    return ExitCode(failure.status)
}
