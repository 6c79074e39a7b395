import Foundation

extension SettingsLayer {
    /// The settings the environment gives: `WXMEDIAFS_<KEY>` for every key (WXMEDIAFS_MOUNT_OPTIONS comma-separated),
    /// and `WECHAT_APPID` for appid, which `WXMEDIAFS_APPID` overrides. An empty variable counts as unset; other
    /// `WXMEDIAFS_*` variables are not ours to refuse (WXMEDIAFS_CONFIG, the tests' WXMEDIAFS_BIN).
    init(environment: [String: String]) throws(ConfigError) {
        self.init()
        for key in ConfigKey.allCases {
            guard let variable = Self.variable(for: key, in: environment) else { continue }
            do throws(ValueProblem) {
                try set(key, text: variable.value)
            } catch {
                throw ConfigError("\(variable.name)=\(variable.value): \(error.reason)")
            }
        }
    }

    /// The variable that gives `key` in `environment`, with its value; nil if none does.
    static func variable(for key: ConfigKey, in environment: [String: String]) -> (name: String, value: String)? {
        let names = key == .appid ? [key.environmentName, "WECHAT_APPID"] : [key.environmentName]
        for name in names {
            if let value = environment[name], !value.trimmingCharacters(in: .whitespaces).isEmpty { return (name, value) }
        }
        return nil
    }
}
