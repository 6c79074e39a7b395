import ArgumentParser
import Foundation
import MediaFS
import WeChatHTTP

struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Ask WeChat for today's quota of media/get, media/get/jssdk and media/upload.",
        discussion: """
            One POST /cgi-bin/openapi/quota/get per API (each counts on that API's own quota). daily_limit, used and \
            remain are the server's figures for the account's whole day (00:00 to 24:00 China time, UTC+8), from every \
            host using the appid; a mount's own count is in .wxmediafs/stats. Credentials as for mount: --appid or \
            WECHAT_APPID, the secret from --secret-file or WECHAT_APPSECRET, never argv. Exit status is the errno of the \
            first failure (13 credentials, 5 I/O or an API this account may not ask about, …); the other APIs are still \
            printed.

            EXAMPLES:
              wxmediafs quota --appid wx1234 --secret-file /etc/wxmediafs/secret
              wxmediafs quota --json | jq '.quota["/cgi-bin/media/get"].remain'
              wxmediafs quota --cgi-path /cgi-bin/stable_token
            """
    )

    @OptionGroup var api: APIOptions

    @Flag(help: "Print one JSON object: {\"day\":…,\"quota\":{\"/cgi-bin/media/get\":{\"daily_limit\":…,\"used\":…,\"remain\":…},…}}.")
    var json = false

    @Option(name: .customLong("cgi-path"), help: ArgumentHelp("Ask about this API instead (repeatable), e.g. /cgi-bin/media/get.", valueName: "path"))
    var cgiPaths: [String] = []

    func validate() throws {
        for path in cgiPaths where !path.hasPrefix("/cgi-bin/") {
            throw ValidationError("--cgi-path takes a path such as /cgi-bin/media/get (no host), not \(path)")
        }
    }

    func run() async throws {
        let client: MediaClient
        do {
            let settings = try api.settings()
            client = try settings.client(logger: LogSetup.logger("wxmediafs.quota", level: settings.logLevel.rawValue))
        } catch {
            throw fail(error, context: "quota", apiBase: (try? api.settings().apiBase) ?? "the API")
        }
        let paths = cgiPaths.isEmpty ? MediaClient.quotaPaths : cgiPaths
        var answers: [(path: String, result: Result<APIQuota, any Error>)] = []
        for path in paths {
            do {
                answers.append((path, .success(try await client.apiQuota(cgiPath: path))))
            } catch {
                // A cause of the whole account (credentials, the IP whitelist, the network, a setting): one line,
                // once, with its status, not one per API.
                if StartupFailure.classify(error, apiBase: client.apiBase) != nil { throw fail(error, context: "quota", apiBase: client.apiBase) }
                answers.append((path, .failure(error)))
            }
        }
        print(json ? Self.json(answers, day: QuotaDay(containing: Date().timeIntervalSince1970)) : Self.table(answers))
        var firstFailure: ExitCode?
        for case let (path, .failure(error)) in answers {
            let code = fail(error, context: "quota \(path)")
            firstFailure = firstFailure ?? code
        }
        if let firstFailure { throw firstFailure }
    }

    static func table(_ answers: [(path: String, result: Result<APIQuota, any Error>)]) -> String {
        let width = max(8, answers.map(\.path.count).max() ?? 0)
        func pad(_ text: String, _ count: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, count - text.count))
            return left ? text + fill : fill + text
        }
        var lines = [pad("cgi_path", width, left: true) + pad("daily_limit", 13) + pad("used", 11) + pad("remain", 11)]
        for (path, result) in answers {
            switch result {
            case .success(let quota):
                lines.append(pad(path, width, left: true) + pad("\(quota.dailyLimit)", 13) + pad("\(quota.used)", 11) + pad("\(quota.remain)", 11))
            case .failure(let error):
                lines.append(pad(path, width, left: true) + "  error: " + FSError(error).message)
            }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ answers: [(path: String, result: Result<APIQuota, any Error>)], day: QuotaDay) -> String {
        struct Document: Encodable {
            var day: String
            var quota: [String: APIQuota]
            var errors: [String: String]?
        }
        var document = Document(day: day.description, quota: [:])
        for (path, result) in answers {
            switch result {
            case .success(let quota): document.quota[path] = quota
            case .failure(let error): document.errors = (document.errors ?? [:]).merging([path: FSError(error).message]) { $1 }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
