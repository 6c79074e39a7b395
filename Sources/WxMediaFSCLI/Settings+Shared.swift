import Foundation
import Logging
import MediaCache
import SharedStore
import WeChatAPI

extension Settings {
    /// Where the store's key is read from: `s3_credentials_file` (AWS format: `[default]`, or the profile in
    /// AWS_PROFILE), else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN). Never argv.
    func sharedCredentials(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreCredentials {
        if let file = s3CredentialsFile {
            if let problem = SecretFile.permissionProblem(file) { throw ConfigError("s3_credentials_file \(problem)") }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ConfigError("cannot read s3_credentials_file \(file)") }
            let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            guard let fields = Self.iniSection(text, named: profile), let id = fields["aws_access_key_id"], let secret = fields["aws_secret_access_key"],
                  !id.isEmpty, !secret.isEmpty else {
                throw ConfigError("s3_credentials_file \(file) has no [\(profile)] with aws_access_key_id and aws_secret_access_key")
            }
            return StoreCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: fields["aws_session_token"])
        }
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw ConfigError("shared_cache is set but the store has no credentials: set s3_credentials_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        return StoreCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
    }

    /// `config check`'s line for the store's credentials (never their values).
    func sharedCredentialsLine(readable: (String) -> Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let file = s3CredentialsFile { return "s3 credentials: <redacted> (from s3_credentials_file \(file)\(readable(file) ? "" : ", which cannot be read"))" }
        if environment["AWS_ACCESS_KEY_ID"].map({ !$0.isEmpty }) == true { return "s3 credentials: <redacted> (from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)" }
        return "s3 credentials: not set (set s3_credentials_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    }

    /// The client of the store these settings name (nil: no shared_cache).
    func sharedClient() throws -> S3Client? {
        guard let sharedCache else { return nil }
        guard appid != nil else { throw ConfigError("shared_cache needs the appid (objects are kept under items/<appid>/)") }
        switch S3Location.parse(sharedCache: sharedCache, endpoint: s3Endpoint, region: s3Region, pathStyle: s3PathStyle) {
        case .success(let location): return S3Client(location: location, credentials: try sharedCredentials(), timeout: .seconds(10))
        case .failure(let error): throw ConfigError(error.message)
        }
    }

    /// One listing call: wrong credentials or a missing bucket throw the configuration's one line; a store that does
    /// not answer is returned (it may come back: reads go to WeChat meanwhile).
    func probe(_ client: S3Client) async throws -> S3Error? {
        do {
            _ = try await client.list(prefix: "items/", maxKeys: 1)
            return nil
        } catch let error as S3Error where error.kind == .accessDenied || error.kind == .noSuchBucket || error.kind == .configuration {
            throw ConfigError("shared_cache \(sharedCache ?? ""): \(error.message)")
        } catch let error as S3Error {
            return error
        }
    }

    /// The shared tier these settings describe (nil: none), checked against the store at once: wrong credentials
    /// or a missing bucket are one line and the configuration's exit status, not a mount that misses forever.
    /// What makes it is returned, to be given the local tier in front of it (what large items are read back from).
    func sharedTier(blockSize: Int, logger: Logger) async throws -> ((any DataCache) -> any DataCache)? {
        guard let client = try sharedClient(), let appid else { return nil }
        if let error = try await probe(client) {
            logger.warning("shared store not reachable at start; reading from WeChat directly until it answers", metadata: ["error": "\(error)"])
        }
        let leases = await keepsConditionalWrites(client, logger: logger)
        return { local in
            let tier = S3DataCache(client: client, appID: appid, blockSize: blockSize, local: local, leases: leases, logger: logger)
            tier.refreshListingIfStale()  // media/ lists what the fleet holds, from the first readdir on
            return tier
        }
    }

    /// Whether the store refuses a second `If-None-Match: *` create of one key (leases and "hosts never overwrite
    /// each other" rest on it); when it does not, leases are off (every host fetches for itself) and it is said once.
    func keepsConditionalWrites(_ client: S3Client, logger: Logger) async -> Bool {
        let probe = "probe/\(UUID().uuidString)"
        defer { Task { try? await client.delete(probe) } }
        do {
            _ = try await client.put(probe, bytes: [], ifAbsent: true)
            if try await client.put(probe, bytes: [], ifAbsent: true) == .exists { return true }
            logger.warning("the shared store does not keep If-None-Match (a second create of one key was not refused): leases are off, each host fetches for itself")
            return false
        } catch {
            return true  // not answering now: the tier's own outage handling applies
        }
    }

    /// The `[name]` section of an INI text as key → value.
    static func iniSection(_ text: String, named name: String) -> [String: String]? {
        var current: String?, found: [String: String]?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if current == name, found == nil { found = [:] }
                continue
            }
            guard current == name, let equals = line.firstIndex(of: "=") else { continue }
            found?[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return found
    }
}
