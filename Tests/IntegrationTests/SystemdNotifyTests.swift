import Foundation
import Testing
import Scratch

/// `Type=notify`: the real mount tells a datagram socket of the test's own (by path, and in the abstract
/// namespace as systemd may give it) READY=1 once mounted and STOPPING=1 on SIGTERM.
@Suite(.serialized) struct SystemdNotifyTests {
    /// Binds a datagram socket at `name` (a path, or "@name"), returns it and its receive function.
    func listen(_ name: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (index, byte) in bytes.enumerated() { raw[index] = byte } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    func receive(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    @Test(arguments: ["path", "abstract"])
    func readinessAndStopReachTheSocket(kind: String) async throws {
        let name = kind == "path" ? Scratch.directory("notify") + "/notify.sock" : "@wxmediafs-test-\(UUID().uuidString)"
        let descriptor = try listen(name)
        defer { close(descriptor) }
        let sim = try SimProcess()
        let mount = try MountProcess(sim: sim, environment: ["NOTIFY_SOCKET": name])
        let ready = receive(descriptor)
        #expect(ready?.split(separator: "\n").contains("READY=1") == true, "got \(ready ?? "nothing")")
        #expect(ready?.contains("STATUS=Mounted on \(mount.mountpoint)") == true)
        #expect(Harness.isMounted(mount.mountpoint), "READY=1 came once the FUSE mount was there")
        #expect(mount.unmount(), "SIGTERM ends it with status 0")
        #expect(receive(descriptor)?.split(separator: "\n").contains("STOPPING=1") == true)
    }
}
