import ArgumentParser
import Foundation
import MediaFS
import WeChatAPI

/// `wxmediafs ingest`: the media ids in follower messages (the seed's 5.2), from files or standard input.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Print the media ids in follower message XML (image, voice, video, shortvideo).",
        discussion: """
            Reads one <xml> message or several one after the other, from each FILE or from standard input, and prints \
            one line per media: `media_id type from create_time` (a video's ThumbMediaId as its own `thumb` line), or \
            one JSON object per message with --json (MsgId, Format, Recognition, PicUrl, ThumbMediaId included). \
            Messages without media are skipped; a malformed message with media is reported on standard error and \
            skipped. XML with a DTD, over 4 MiB, nested deeper than 8 levels or not UTF-8 is refused (exit 22).

            EXAMPLES:
              wxmediafs ingest message.xml
              cat pushes/*.xml | wxmediafs ingest --json
            """
    )

    @Argument(help: "Files of message XML (default: standard input).")
    var files: [String] = []

    @Flag(help: "One JSON object per message.")
    var json = false

    @Option(help: ArgumentHelp("Also record the messages in this cache directory (the mount's): their ids appear in media/ and under inbox/<day>/<sender>/.", valueName: "dir"))
    var cacheDir: String?

    func run() async throws {
        let inputs: [(name: String, read: () throws -> Data)] = files.isEmpty
            ? [("standard input", { FileHandle.standardInput.readData(ofLength: FollowerMessageParser.maximumSize + 1) })]
            : files.map { path in
                (path, {
                    // Not read at all when too large: a 100 MB "message" costs nothing.
                    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                    if size > FollowerMessageParser.maximumSize { return Data(count: FollowerMessageParser.maximumSize + 1) }
                    return try Data(contentsOf: URL(fileURLWithPath: path))
                })
            }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for input in inputs {
            let messages: [FollowerMessage]
            do {
                let data = try input.read()
                messages = try FollowerMessageParser.parse(Array(data)) { problem in
                    FileHandle.standardError.write(Data("wxmediafs: ingest \(input.name): skipped \(problem)\n".utf8))
                }
            } catch let error as FollowerMessageParser.ParseError {
                FileHandle.standardError.write(Data("wxmediafs: ingest \(input.name): \(error)\n".utf8))
                throw ExitCode(22)
            } catch {
                FileHandle.standardError.write(Data("wxmediafs: ingest \(input.name): cannot read: \(error.localizedDescription)\n".utf8))
                throw ExitCode(2)
            }
            if let cacheDir {
                do {
                    try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    _ = try MessageRegistry.append(messages, directory: cacheDir)
                } catch {
                    FileHandle.standardError.write(Data("wxmediafs: ingest \(input.name): cannot record in \(cacheDir): \(error)\n".utf8))
                    throw ExitCode(5)
                }
            }
            for message in messages {
                if json {
                    print(String(decoding: try encoder.encode(message), as: UTF8.self))
                } else {
                    for media in message.media { print("\(media.id) \(media.type) \(message.fromUser) \(message.createTime)") }
                }
            }
        }
    }
}
