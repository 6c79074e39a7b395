import ArgumentParser
import Foundation
import MediaCache

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect or clear the block cache (do it while no mount uses it).",
        subcommands: [Stats.self, Verify.self, Clear.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "Cache directory (default: $XDG_CACHE_HOME/wxmediafs or ~/.cache/wxmediafs).")
        var cacheDir: String?

        func open() throws -> BlockCache {
            let directory = cacheDir ?? defaultCacheDirectory()
            guard FileManager.default.fileExists(atPath: directory) else {
                throw ValidationError("no cache at \(directory)")
            }
            return try BlockCache(directory: directory, budget: .max, logger: LogSetup.logger("wxmediafs.cache", level: "warning"))
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Items, blocks and bytes in the cache, as JSON.")
        @OptionGroup var location: Location

        func run() async throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(try location.open().statistics()), as: UTF8.self))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every block's checksum; drop the bad ones. Exit 1 if any was bad.")
        @OptionGroup var location: Location

        func run() async throws {
            let result = try await location.open().verifyAll()
            print("\(result.checked) blocks checked, \(result.corrupt) corrupt (dropped)")
            if result.corrupt > 0 { throw ExitCode(1) }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove everything cached.")
        @OptionGroup var location: Location

        func run() async throws {
            let cache = try location.open()
            let before = cache.statistics()
            try await cache.clear()
            print("removed \(before.items) items, \(before.bytes) bytes")
        }
    }
}
