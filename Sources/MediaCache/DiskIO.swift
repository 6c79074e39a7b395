import Dispatch

/// Threads made for blocking disk I/O, so a slow disk never stalls the cooperative pool.
enum DiskIO {
    static let queue = DispatchQueue(label: "wxmediafs.disk-io", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
