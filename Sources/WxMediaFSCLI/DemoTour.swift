import Foundation
import WeChatSimulator

/// What the demo shows once mounted: the paths, then `ls`, `cp` + sha256, `ffprobe` and an upload by `cp` run for real.
enum DemoTour {
    static func run(mountpoint: String, items: [SimItemInfo]) async {
        print("\nTry these (each media id is a file, fetched on first read):")
        for item in items.sorted(by: { $0.kind.rawValue < $1.kind.rawValue }) {
            print("  \(path(mountpoint, item))\t\(item.kind.rawValue), \(item.size) bytes")
        }
        fflush(nil)
        guard let image = items.first(where: { $0.kind == .image }), let video = items.first(where: { $0.kind == .video }) else { return }
        // A scratch folder of the tour's own, removed at the end (media are 0444: a copy in /tmp would stay read-only).
        var template = Array("/tmp/wxmediafs-tour-XXXXXX".utf8CString)
        let scratch = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) } ?? "/tmp"
        defer { if scratch != "/tmp" { try? FileManager.default.removeItem(atPath: scratch) } }
        let copy = "\(scratch)/\(image.id).\(image.ext)"
        let binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let commands = [
            "cp \(path(mountpoint, image)) \(scratch)/ && sha256sum \(copy)",
            "ffprobe -v error -show_entries format=format_name,duration -of compact \(path(mountpoint, video))",
            "cp \(copy) \(mountpoint)/upload/image/copy.\(image.ext)"
                + " && getfattr --absolute-names -n user.wechat.media_id --only-values \(mountpoint)/upload/image/copy.\(image.ext); echo",
            "ls -l \(mountpoint)/media \(mountpoint)/hd \(mountpoint)/upload/image",
            "getfattr --absolute-names -d \(path(mountpoint, image))",
            "\(binary) status \(mountpoint)",
            "stat \(mountpoint)/media/NoSuchMediaId0000 || true",
        ]
        for command in commands {
            print("\n$ \(command)")
            fflush(nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            do {
                try process.run()
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async {
                        process.waitUntilExit()
                        continuation.resume()
                    }
                }
            } catch {
                print("(could not run: \(error))")
            }
        }
    }

    static func path(_ mountpoint: String, _ item: SimItemInfo) -> String {
        item.kind == .hd ? "\(mountpoint)/hd/\(item.id).speex" : "\(mountpoint)/media/\(item.id).\(item.ext)"
    }
}
