import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The few XML answers the client reads (ListObjectsV2, CreateMultipartUpload, errors), through Foundation's
/// XMLParser: each answer is a flat record of element texts, or a list of such records.
enum S3XML {
    struct Listing: Equatable {
        struct Object: Equatable {
            var key: String
            var size: Int64
            var lastModified: String
            var etag: String
        }
        var objects: [Object] = []
        var nextToken: String?
        var truncated = false
    }

    static func error(_ body: [UInt8]) -> (code: String, message: String)? {
        let records = Records(body, record: "Error")
        guard let error = records.first, let code = error["Code"] else { return nil }
        return (code, error["Message"] ?? "")
    }

    static func uploadID(_ body: [UInt8]) -> String? {
        Records(body, record: "InitiateMultipartUploadResult").first?["UploadId"]
    }

    static func listing(_ body: [UInt8]) -> Listing? {
        guard let result = Records(body, record: "ListBucketResult").first else { return nil }
        var listing = Listing()
        listing.truncated = result["IsTruncated"] == "true"
        listing.nextToken = result["NextContinuationToken"]
        for object in Records(body, record: "Contents").found {
            guard let key = object["Key"], let size = object["Size"].flatMap({ Int64($0) }) else { continue }  // skipped, not the page
            listing.objects.append(.init(key: key, size: size, lastModified: object["LastModified"] ?? "", etag: object["ETag"] ?? ""))
        }
        return listing
    }

    /// The CompleteMultipartUpload body.
    static func completion(_ parts: [(number: Int, etag: String)]) -> [UInt8] {
        var text = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts { text += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(escape(part.etag))</ETag></Part>" }
        return Array((text + "</CompleteMultipartUpload>").utf8)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Every element named `record` as a dictionary of its direct children's texts.
    private final class Records: NSObject, XMLParserDelegate {
        private let record: String
        private var current: [String: String]?
        private var depth = 0
        private var text = ""
        private(set) var found: [[String: String]] = []

        init(_ body: [UInt8], record: String) {
            self.record = record
            super.init()
            let parser = XMLParser(data: Data(body))
            parser.delegate = self
            if !parser.parse() { found = [] }
        }

        var first: [String: String]? { found.first }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if current == nil, name == record {
                current = [:]
                depth = 0
            } else if current != nil {
                depth += 1
            }
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard current != nil else { return }
            if depth == 0, name == record {
                found.append(current!)
                current = nil
            } else {
                if depth == 1 { current![name] = text }
                depth -= 1
            }
            text = ""
        }
    }
}

