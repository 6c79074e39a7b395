import ArgumentParser
import Foundation
import MediaFS
import WeChatHTTP
import WeChatSimulator

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The embedded default: start the simulator, mount it with a temporary cache, show what to try.",
        discussion: """
            With a terminal on standard input it keeps serving until Ctrl-C; otherwise it unmounts after the tour.

            EXAMPLES:
              wxmediafs demo
              wxmediafs demo /tmp/wx
            """
    )

    @Argument(help: "Where to mount (default: a new temporary directory).")
    var mountpoint: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "warning"

    func run() async throws {
        let logger = LogSetup.logger("wxmediafs.demo", level: logLevel)
        let work = NSTemporaryDirectory() + "wxmediafs-demo-\(getpid())"
        let target = mountpoint ?? work + "/mnt"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let simConfiguration = SimulatorConfiguration()
        var quiet = logger
        quiet.logLevel = .critical  // the simulator's shutdown chatter is not the demo's business
        let simulator = try await WeChatSimulator.start(simConfiguration, logger: quiet)
        print("wxmediafs demo: simulator on \(simulator.baseURL), cache in \(work)/cache")
        let counters = APICounters()  // the client's and the token provider's: the stats show the token fetches too
        let tokens = TokenProvider(
            fetcher: StableTokenFetcher(apiBase: simulator.baseURL, credentials: Credentials(appID: simConfiguration.appID, secret: simConfiguration.appSecret)),
            counters: counters, logger: logger
        )
        let client = MediaClient(apiBase: simulator.baseURL, tokens: tokens, counters: counters, logger: logger)
        let fs = try await makeFileSystem(client: client, cacheDirectory: work + "/cache", cacheSize: 1 << 30, negativeTTL: 60, uploads: true, logger: logger)
        let items = await simulator.state.items()
        let interactive = isatty(STDIN_FILENO) == 1
        do {
            try await serve(fs, mountpoint: target, options: ["auto_unmount"], logger: logger, whileMounted: {
                await DemoTour.run(mountpoint: target, items: items)
                if interactive { print("\nServing until Ctrl-C.") }
                return interactive
            })
        } catch {
            await simulator.stop()
            throw fail(error, context: "demo")
        }
        await simulator.stop()
    }
}
