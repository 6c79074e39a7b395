import ArgumentParser
import Foundation
import MediaCache

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect or clear the block cache (do it while no mount uses it).",
        discussion: """
            stats and verify also work beside a mount of the same cache (as guests: no clean-up); clear refuses (exit 16).

            EXAMPLES:
              wxmediafs cache stats --cache-dir /var/cache/wxmediafs
              wxmediafs cache verify
              wxmediafs cache clear --cache-dir /var/cache/wxmediafs
            """,
        subcommands: [Stats.self, Verify.self, Clear.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "Cache directory (default: $XDG_CACHE_HOME/wxmediafs or ~/.cache/wxmediafs).")
        var cacheDir: String?

        @OptionGroup var config: ConfigFileOption

        /// Opens the cache as owner if nobody holds it, else as a guest; `exclusive` refuses instead (EBUSY).
        func open(_ command: String, exclusive: Bool = false) async throws -> DiskDataCache {
            let directory: String
            do {
                directory = try Settings.load(flags: SettingsLayer(cacheDir: cacheDir), configFlag: config.path).cacheDir
            } catch {
                throw fail(error, context: command)
            }
            guard FileManager.default.fileExists(atPath: directory) else {
                throw ValidationError("no cache at \(directory)")
            }
            do {
                let access = exclusive
                    ? try await CacheOwnership.exclusive(directory: directory, command: command)
                    : try await CacheOwnership.forCommand(directory: directory, command: command)
                return try DiskDataCache(directory: directory, budget: .max, access: access, logger: LogSetup.logger("wxmediafs.cache", level: "warning"))
            } catch {
                throw fail(error, context: command)
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Items, blocks and bytes in the cache, as JSON.")
        @OptionGroup var location: Location

        func run() async throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var statistics = try await location.open("cache stats").statistics()
            // The budget a mount would keep it to (the cache object here has none: it must not evict).
            statistics.budget = (try? Settings.load(flags: SettingsLayer(cacheDir: location.cacheDir), configFlag: location.config.path).cacheSize.bytes)
                ?? Settings.Defaults.cacheSize.bytes
            print(String(decoding: try encoder.encode(statistics), as: UTF8.self))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every block's checksum; drop the bad ones. Exit 1 if any was bad.")
        @OptionGroup var location: Location

        func run() async throws {
            let result = try await location.open("cache verify").verifyAll()
            print("\(result.checked) blocks checked, \(result.corrupt) corrupt (dropped), \(result.unreadable) unreadable")
            if result.corrupt > 0 || result.unreadable > 0 { throw ExitCode(1) }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove everything cached (refused while a mount or a get uses the cache).")
        @OptionGroup var location: Location

        func run() async throws {
            let cache = try await location.open("cache clear", exclusive: true)
            let before = cache.statistics()
            try await cache.clear()
            print("removed \(before.items) items, \(before.bytes) bytes")
        }
    }
}
