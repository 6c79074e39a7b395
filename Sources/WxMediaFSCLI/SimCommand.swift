import ArgumentParser
import Foundation
import WeChatSimulator

struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the local simulator of the WeChat temporary-media API (loopback only).",
        discussion: """
            Prints its base URL on the first line of standard output. Control routes (loopback only): GET /__sim/stats, \
            /__sim/items, /__sim/last-upload, /__sim/tokens, /__sim/chaos; POST /__sim/fault, /__sim/chaos (faults at a \
            rate: {"rate":0.1,"kinds":[…],"endpoints":[…],"seed":N}), /__sim/config, /__sim/reset, /__sim/expire-tokens, \
            /__sim/expire-video-urls, /__sim/expire-media. POST /cgi-bin/openapi/quota/get answers each API's daily_limit, \
            used and remain for the current China day (00:00 UTC+8).

            EXAMPLES:
              wxmediafs sim --port 8088
              wxmediafs sim --generate video:512M --generate 1000*image:4K --video-url-ttl 60
              wxmediafs sim --ip-whitelist 203.0.113.9 --daily-limit 100
            """
    )

    @Option(help: "TCP port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 0

    @Option(help: "Serve DIR/<image|voice|video|thumb|hd>/<id>.<ext> instead of the bundled fixtures.")
    var media: String?

    @Option(help: "Add a generated item, e.g. video:512M, or N of them: 50000*image:1K (repeatable).")
    var generate: [String] = []

    @Flag(help: "Ignore Range requests (answer 200 with the whole body).")
    var noRange = false

    @Flag(help: "Send no Content-Length (chunked encoding).")
    var noContentLength = false

    @Flag(help: "Refuse HEAD requests.")
    var noHead = false

    @Option(help: "Latency added before each answer, in milliseconds.")
    var latencyMs: Int = 0

    @Option(help: "Cap each answer's body at this many bytes per second.")
    var bandwidth: Int?

    @Option(help: "Lifetime of the tokens it issues, in seconds.")
    var tokenTTL: Int = 7200

    @Flag(help: "media/get returns video bytes directly instead of a video_url.")
    var videoDirect = false

    // Spelled out: ArgumentParser would make "--video-urlttl" of the property name.
    @Option(name: .customLong("ip-whitelist"), help: ArgumentHelp("The account's IP whitelist: token requests from other addresses get 40164.", valueName: "ip,…"))
    var ipWhitelist: String?

    @Option(name: .customLong("video-url-ttl"), help: "Lifetime of the video_urls it issues, in seconds (then 403).")
    var videoURLTTL: Int = 3600

    @Option(help: ArgumentHelp("Answer at most this many bytes per 206, whatever range was asked.", valueName: "bytes"))
    var rangeCap: Int?

    @Flag(help: "206 answers withhold the total: Content-Range: bytes a-b/*.")
    var unknownTotal = false

    @Option(help: ArgumentHelp("Calls a day to each of media/get, media/get/jssdk and media/upload before 45009 (days begin at 00:00 UTC+8).", valueName: "n"))
    var dailyLimit: Int = SimulatorConfiguration().dailyLimit

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "warning"

    func validate() throws {
        if dailyLimit < 0 { throw ValidationError("--daily-limit must be 0 or more") }
    }

    func run() async throws {
        let logger = LogSetup.logger("wxmediafs.sim", level: logLevel)
        var configuration = SimulatorConfiguration()
        configuration.port = port
        configuration.mediaDirectory = media
        configuration.generated = try generate.flatMap { spec -> [GeneratedItem] in
            let parts = spec.split(separator: "*", maxSplits: 1)
            guard parts.count == 2, let count = Int(parts[0]), (1...1_000_000).contains(count) else { return [try GeneratedItem(parsing: spec)] }
            return Array(repeating: try GeneratedItem(parsing: String(parts[1])), count: count)
        }
        configuration.rangeSupport = !noRange
        configuration.contentLength = !noContentLength
        configuration.headSupport = !noHead
        configuration.latency = .milliseconds(latencyMs)
        configuration.bandwidth = bandwidth
        configuration.tokenTTL = tokenTTL
        configuration.videoDirect = videoDirect
        configuration.videoURLTTL = videoURLTTL
        configuration.rangeCap = rangeCap
        configuration.unknownTotal = unknownTotal
        configuration.ipWhitelist = ipWhitelist.map { $0.split(separator: ",").map(String.init) }
        configuration.dailyLimit = dailyLimit
        let simulator = try await WeChatSimulator.start(configuration, logger: logger)
        print(simulator.baseURL)
        fflush(nil)
        FileHandle.standardError.write(Data("wxmediafs sim: serving on \(simulator.baseURL) (appid \(configuration.appID)); stop with Ctrl-C\n".utf8))
        await Signals.wait(for: [SIGINT, SIGTERM])
        await simulator.stop()
    }
}
