import Foundation

/// A file holding a secret (the appsecret, the push Token, the EncodingAESKey): read only if no one but its owner
/// can read or write it, as s3fs and ssh do with theirs. The reason never holds the contents.
public enum SecretFile {
    /// The problem with `path`'s permissions, or nil when only its owner has access.
    public static func permissionProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }  // missing: the read says so
        let mode = info.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "\(path) can be read or written by others than its owner (mode \(String(mode, radix: 8))): run chmod 600 \(path)"
    }
}
