import ArgumentParser
import Foundation
import WeChatHTTP

extension UploadType: ExpressibleByArgument {}

struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload a file as temporary media; prints the new media_id.",
        discussion: """
            WeChat keeps the item 3 days. Limits: image 10 MB (jpg, png, gif), voice 2 MB / 60 s (amr, mp3), \
            video 10 MB (mp4), thumb 64 KB (jpg).

            EXAMPLES:
              wxmediafs upload --type image banner.png
              id=$(wxmediafs upload --type video clip.mp4) && ls /mnt/wx/media/$id.mp4
            """
    )

    @OptionGroup var api: APIOptions

    @Option(help: "image, voice, video or thumb.")
    var type: UploadType

    @Argument(help: "The files to upload; each extension must suit the type (jpg/png/gif, amr/mp3, mp4, jpg).")
    var files: [String]

    @Flag(help: "One JSON object per file: {\"file\", \"media_id\", \"type\", \"created_at\"}.")
    var json = false

    @Flag(name: [.short, .long], help: "No progress bar (there is none anyway unless standard error is a terminal).")
    var quiet = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to upload") }
    }

    /// One id per line (or JSON line) per file, in order; the first failure ends the command with its status,
    /// after the ids of the files already uploaded (they exist on the server: losing them would cost an upload).
    func run() async throws {
        let client: MediaClient
        do {
            let settings = try api.settings()
            let logger = LogSetup.logger("wxmediafs.upload", level: settings.logLevel.rawValue, format: settings.logFormat, file: settings.logFile)
            client = try settings.client(logger: logger)
        } catch {
            throw fail(error, context: "upload")
        }
        for file in files {
            do {
                let bar = ProgressBar((file as NSString).lastPathComponent, quiet: quiet)
                let result = try await client.upload(file: file, type: type) { sent, size in bar.draw(sent, of: size) }
                bar.finish()
                if json {
                    var object: [String: Any] = ["file": file, "media_id": result.mediaID.rawValue, "type": result.type]
                    if let createdAt = result.createdAt { object["created_at"] = createdAt }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(result.mediaID.rawValue)
                }
                fflush(nil)
            } catch {
                throw fail(error, context: "upload \(file)")
            }
        }
    }
}
