import Foundation
import Scratch
import SharedStore

/// One SeaweedFS S3 gateway per test process, started by the project's own script (scripts/seaweedfs) and killed
/// by its watchdog when this process ends; boto3 (s3check.py) is the independent client the tests check with.
enum Seaweed {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    struct Store: Sendable {
        let endpoint: String
        let credentialsFile: String
        let credentials: StoreCredentials
        /// weed's process group (it leads it): SIGSTOP stalls the store, SIGKILL ends it.
        let processGroup: Int32

        /// A new bucket of its own (made by boto3), for one test.
        func bucket(_ stem: String) throws -> String {
            let name = "\(stem)-\(UUID().uuidString.prefix(8).lowercased())"
            _ = try check("bucket", name, "-")
            return name
        }

        /// s3check.py's answer, trimmed.
        func check(_ arguments: String...) throws -> String { try check(arguments) }

        /// A client of a bucket: path style on the endpoint (127.0.0.1:PORT) by default; in virtual-host style on
        /// `localhost:PORT`, so that each request goes to BUCKET.localhost:PORT (loopback through libnss-myhostname,
        /// which scripts/bootstrap installs; weed serves buckets as sub-domains of localhost, scripts/seaweedfs).
        func client(bucket: String, prefix: String = "wx", credentials: StoreCredentials? = nil, timeout: Int64 = 30, virtualHost: Bool = false) throws -> S3Client {
            let base = virtualHost ? endpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost") : endpoint
            let location = try S3Location.parse(sharedCache: "s3://\(bucket)/\(prefix)", endpoint: base, region: "us-east-1", pathStyle: !virtualHost).get()
            return S3Client(location: location, credentials: credentials ?? self.credentials, timeout: .seconds(timeout))
        }
    }

    static let python: String = (try? run([repository + "/scripts/python-tools"])) ?? "python3"

    static let store: Result<Store, any Error> = Result { try start() }

    /// A store of its own (a test that stops or stalls it must not disturb the others); its process group's id.
    static func start() throws -> Store {
        let directory = Scratch.directory("seaweedfs")
        let endpoint = try run([repository + "/scripts/seaweedfs", "start", "--watch", "\(getpid())", directory])
        let file = directory + "/credentials"
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        func value(_ name: String) -> String {
            lines.first { $0.hasPrefix(name) }.map { String($0.split(separator: "=", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        let pid = Int32(try String(contentsOfFile: directory + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return Store(endpoint: endpoint, credentialsFile: file,
                     credentials: StoreCredentials(accessKeyID: value("aws_access_key_id"), secretAccessKey: value("aws_secret_access_key")), processGroup: pid)
    }

    /// Runs a command; its standard output trimmed, or an error with its standard error. (Foundation's
    /// `waitUntilExit` never returned here, called from a static's initialiser: the end is awaited through the
    /// termination handler, as the integration harness does.)
    @discardableResult
    static func run(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        let err = Captured()
        DispatchQueue.global().async { err.data = errors.fileHandleForReading.readDataToEndOfFile(); err.done.signal() }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        err.done.wait()
        for handle in [output.fileHandleForReading, output.fileHandleForWriting, errors.fileHandleForReading, errors.fileHandleForWriting] {
            try? handle.close()
        }
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "Seaweed", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(command[0]) failed: \(String(decoding: err.data, as: UTF8.self))"])
        }
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private final class Captured: @unchecked Sendable {  // written once before `done` is signalled, read after
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }
}
