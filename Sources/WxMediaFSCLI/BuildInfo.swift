import CBuildInfo

/// What `--version` and the `build_info` metric say: the release and the commit it was built from.
enum BuildInfo {
    static let version = "1.1.0"
    static var commit: String { String(cString: wx_build_commit()) }
    static var line: String { "wxmediafs \(version) (commit \(commit))" }
}
