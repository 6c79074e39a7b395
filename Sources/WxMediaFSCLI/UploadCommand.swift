import ArgumentParser
import Foundation
import WeChatAPI

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

    @Argument(help: "The file to upload; its extension must suit the type (jpg/png/gif, amr/mp3, mp4, jpg).")
    var file: String

    func run() async throws {
        do {
            let settings = try api.settings()
            let logger = LogSetup.logger("wxmediafs.upload", level: settings.logLevel.rawValue, format: settings.logFormat, file: settings.logFile)
            let result = try await settings.client(logger: logger).upload(file: file, type: type)
            print(result.mediaID.rawValue)
        } catch {
            throw fail(error, context: "upload \(file)")
        }
    }
}
