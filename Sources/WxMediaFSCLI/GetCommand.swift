import ArgumentParser
import Foundation
import MediaFS
import VoiceCodec
import WeChatHTTP

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Download one temporary media item (through the same cache as the mounts).",
        discussion: """
            Exit status is the errno of the failure: 2 not found or expired, 13 credentials, 122 daily quota, 5 I/O. \
            A progress bar is drawn on a terminal only (--quiet: none).

            EXAMPLES:
              wxmediafs get 3y_PNjKsHn2zvKZ8cXE4sBQ4AqC9r2Fb9m3f-ah0MBi2GzYKs9 -o photo.jpg
              wxmediafs get --hd 3y_PNjKsHn2zvKZ8cXE4sBQ4AqC9r2Fb9m3f-ah0MBi2GzYKs9 -o voice.speex
              wxmediafs get -- -abc123 -o x.bin          # an id that starts with '-'
            """
    )

    @OptionGroup var api: APIOptions

    @Argument(help: "The media_id.")
    var mediaID: String

    @Flag(help: "HD voice (speex 16 kHz) through /cgi-bin/media/get/jssdk.")
    var hd = false

    @Flag(help: "HD voice decoded to WAV (PCM 16 kHz mono), as hd/<id>.wav in a mount; implies --hd.")
    var wav = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file (default: <media_id>.<ext> in the current directory; - for standard output).", valueName: "path"))
    var output: String?

    @Option(help: "Cache directory shared with mounts (default: $XDG_CACHE_HOME/wxmediafs or ~/.cache/wxmediafs).")
    var cacheDir: String?

    @Option(help: "Cache budget, e.g. 2G (default: \(Settings.Defaults.cacheSize.text)).")
    var cacheSize: ByteSize?

    @Flag(help: "Download straight from the API, bypassing the cache.")
    var noCache = false

    @Flag(name: [.short, .long], help: "No progress bar (there is none anyway unless standard error is a terminal).")
    var quiet = false

    func run() async throws {
        guard let id = MediaID(mediaID) else {
            FileHandle.standardError.write(Data("wxmediafs: get: \(mediaID.prefix(140)) is not a media_id (1-128 of A-Z a-z 0-9 _ -)\n".utf8))
            throw ExitCode(2)
        }
        do {
            let settings = try api.settings {
                $0.cacheDir = cacheDir
                $0.cacheSize = cacheSize
            }
            let logger = LogSetup.logger("wxmediafs.get", level: settings.logLevel.rawValue, format: settings.logFormat, file: settings.logFile)
            let sink = try FileSink(output: output, id: id, quiet: quiet)
            let head: MediaHead
            if noCache {
                head = wav ? try await decodedVoice(id, client: settings.client(logger: logger), into: sink)
                    : try await settings.client(logger: logger).download(MediaRequest(id: id, hd: hd), into: sink)
            } else {
                // Beside a mount of the same cache, a guest: no clean-up, no eviction (CacheOwnership.swift).
                let directory = settings.cacheDir
                let access = try await CacheOwnership.forCommand(directory: directory, command: "get")
                // Its calls are added to the directory's count of the day (quota.json); it keeps to no limit.
                let client = try settings.client(logger: logger, quota: QuotaLedger(logger: logger))
                let fs = try await makeFileSystem(client: client, cacheDirectory: directory, cacheSize: settings.cacheSize.bytes, negativeTTL: 0,
                                                  access: access, logger: logger)
                do {
                    head = try await fs.copy(id, hd: hd, wav: wav, into: sink)
                } catch {
                    await fs.drain()  // a failed get's calls count too
                    throw error
                }
                await fs.drain()
            }
            let path = try sink.finish()
            if output != "-" {
                print("\(path)\t\(sink.written) bytes\t\(head.contentType ?? "unknown type")")
            }
        } catch {
            throw fail(error, context: "get \(id)")
        }
    }
}

/// `get --wav --no-cache`: the speex stream in memory (voice is small), decoded, written as the WAV.
private func decodedVoice(_ id: MediaID, client: MediaClient, into sink: FileSink) async throws -> MediaHead {
    let speex = SpeexCollector()
    _ = try await client.download(MediaRequest(id: id, hd: true), into: speex)
    let wav: [UInt8]
    do {
        wav = try HDVoice.wav(speex.bytes)
    } catch {
        throw FSError(.io, "\(id).wav: \(error)")
    }
    let head = MediaHead(totalSize: Int64(wav.count), contentType: "audio/wav", filename: "\(id).wav", fileExtension: "wav",
                         rangeSupported: false, videoURL: nil)
    try await sink.begin(head)
    try await sink.write(wav)
    return head
}

/// Keeps a whole (small) download in memory; refuses more than an HD voice can be.
private final class SpeexCollector: MediaSink, @unchecked Sendable {  // used by one download at a time
    private(set) var bytes: [UInt8] = []
    func begin(_ head: MediaHead) async throws {}
    func write(_ chunk: [UInt8]) async throws {
        guard bytes.count + chunk.count <= 16 << 20 else { throw FSError(.io, "the HD voice is over 16 MiB: not voice") }
        bytes += chunk
    }
}
