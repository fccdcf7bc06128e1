import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `rnnd` binary on a temporary state directory and socket: the notify protocol, the API over the
/// Unix socket, the refusal of a second daemon, a clean SIGTERM.
@Suite(.serialized) struct DaemonEndToEndTests {
    /// The rnnd built next to this test bundle (deploy/run-tests.sh builds in release before testing).
    static var binary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        for configuration in ["release", "debug"] {
            let path = root.appendingPathComponent(".build/\(configuration)/rnnd").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/release/rnnd").path
    }

    /// A datagram socket standing in for systemd's NOTIFY_SOCKET.
    final class NotifyListener {
        let path: String
        let fd: Int32
        init(path: String) {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        deinit { close(fd); unlink(path) }

        /// Waits up to `seconds` for a datagram equal to `message`.
        func wait(for message: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 512)
            while Date() < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0, String(decoding: buffer[0..<n], as: UTF8.self) == message { return true }
            }
            return false
        }
    }

    /// One HTTP/1.1 request over the Unix socket; returns the raw response.
    func request(_ socketPath: String, _ target: String) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let text = "GET \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        _ = text.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test func startsReadyServesRefusesASecondAndStopsCleanly() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build rnnd first: \(Self.binary)")
        let directory = URL(fileURLWithPath: "/tmp/rnnd-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socketPath = directory.appendingPathComponent("rnnd.sock").path
        let notify = NotifyListener(path: directory.appendingPathComponent("notify.sock").path)

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Self.binary)
        daemon.arguments = ["--state-dir", directory.appendingPathComponent("state").path, "--socket", socketPath]
        daemon.environment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000", "HOME": directory.path, "PATH": "/usr/bin:/bin"]
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        #expect(notify.wait(for: "READY=1", seconds: 30), "READY=1 once the database is migrated and the socket accepts")
        #expect(notify.wait(for: "WATCHDOG=1", seconds: 5), "watchdog pings at half of WATCHDOG_USEC")
        let health = try request(socketPath, "/healthz")
        #expect(health.hasPrefix("HTTP/1.1 200") && health.contains(#""status":"ok""#), "\(health)")
        let runs = try request(socketPath, "/v1/runs")
        #expect(runs.hasPrefix("HTTP/1.1 200") && runs.hasSuffix(#"{"runs":[]}"#), "\(runs)")
        let bad = try request(socketPath, "/v1/runs?filter=hidden_size%20%3E%3D")
        #expect(bad.hasPrefix("HTTP/1.1 400") && bad.contains("position 15"), "\(bad)")
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o660, "the socket is 0660: access by file permissions and group")

        let second = Process()
        second.executableURL = URL(fileURLWithPath: Self.binary)
        second.arguments = ["--state-dir", directory.appendingPathComponent("state").path, "--socket", directory.appendingPathComponent("other.sock").path]
        let errors = Pipe()
        second.standardError = errors
        try second.run()
        second.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 3 && message.contains("pid \(daemon.processIdentifier)"), "\(second.terminationStatus): \(message)")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(notify.wait(for: "STOPPING=1", seconds: 10))
        daemon.waitUntilExit()
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the socket file is removed on shutdown")
    }
}
