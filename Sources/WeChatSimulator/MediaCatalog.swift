import Foundation

/// Loads the items the simulator starts with: every DIR/<kind>/<id>.<ext> of the media directory (the bundled
/// fixtures when none is given), then the generated items. Files are read lazily, by range, when served.
enum MediaCatalog {
    static func load(_ configuration: SimulatorConfiguration) throws -> [SimItem] {
        let directory = try configuration.mediaDirectory ?? bundledFixtures()
        var items = try scan(directory: directory)
        for (index, spec) in configuration.generated.enumerated() {
            items.append(SimItem(generated: spec, index: index))
        }
        return items
    }

    static func bundledFixtures() throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw SimulatorError.fixturesMissing
        }
        return url.path
    }

    static func scan(directory: String) throws -> [SimItem] {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SimulatorError.unreadableMediaDirectory(directory)
        }
        var items: [SimItem] = []
        for kind in MediaKind.allCases {
            let folder = directory + "/" + kind.rawValue
            guard let names = try? files.contentsOfDirectory(atPath: folder) else { continue }
            for name in names.sorted() where !name.hasPrefix(".") {
                let path = folder + "/" + name
                guard let (id, ext) = split(name), MediaID.isWellFormed(id),
                      let attributes = try? files.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular,
                      let size = (attributes[.size] as? NSNumber)?.int64Value
                else { continue }
                items.append(SimItem(id: id, kind: kind, ext: ext, body: .file(path: path, size: size)))
            }
        }
        return items
    }

    /// "ID.ext" → (ID, ext); the extension is lower-cased.
    static func split(_ name: String) -> (String, String)? {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let ext = name[name.index(after: dot)...]
        guard !ext.isEmpty else { return nil }
        return (String(name[..<dot]), ext.lowercased())
    }
}
