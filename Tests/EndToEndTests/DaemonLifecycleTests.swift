import Foundation
import RNNAPI
import RNNClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `rnnd`: the notify protocol, the socket's mode, the refusal of a second daemon, a clean SIGTERM.
extension EndToEnd {
@Suite struct DaemonLifecycleTests {
    @Test func startsReadyServesRefusesASecondAndStopsCleanly() async throws {
        let harness = try DaemonHarness()
        try harness.start(environment: ["WATCHDOG_USEC": "1000000"])
        #expect(harness.notify.wait(for: "WATCHDOG=1", seconds: 5) != nil, "watchdog pings at half of WATCHDOG_USEC")
        let health = try await harness.client.health()
        #expect(health.status == "ok" && health.queued == 0 && health.running == 0)
        #expect(try await harness.client.runs().isEmpty)
        do {
            _ = try await harness.client.runs(filter: "hidden_size >=")
            Issue.record("a bad filter must be refused")
        } catch ClientError.api(let status, let body) {
            #expect(status == 400 && body.field == "filter" && body.error.contains("position 15"), "\(body)")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.socketPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o660, "the socket is 0660: access by file permissions and group")

        let second = Process()
        second.executableURL = URL(fileURLWithPath: Binaries.path("rnnd"))
        second.arguments = ["--state-dir", harness.stateDirectory, "--socket", harness.directory.appendingPathComponent("other.sock").path]
        let errors = Pipe()
        second.standardError = errors
        try second.run()
        second.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 3 && message.contains("pid \(harness.process!.processIdentifier)"), "\(second.terminationStatus): \(message)")

        let pid = harness.process!.processIdentifier
        kill(pid, SIGTERM)
        #expect(harness.notify.wait(for: "STOPPING=1", seconds: 10) != nil)
        harness.process!.waitUntilExit()
        #expect(harness.process!.terminationReason == .exit && harness.process!.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: harness.socketPath), "the socket file is removed on shutdown")
    }

    @Test func aSecondDaemonNeverTakesTheLiveSocket() async throws {
        let first = try DaemonHarness()
        try first.start()
        // Another state directory, the same socket path: refused, naming the first one's pid.
        let other = first.directory.appendingPathComponent("other-state").path
        let (status, message) = try Self.runRNND(["--state-dir", other, "--socket", first.socketPath])
        #expect(status == 3 && message.contains("pid \(first.process!.processIdentifier)"), "\(status): \(message)")
        #expect(try await first.client.health().status == "ok", "the first daemon still answers on its socket")

        // A socket file that nothing answers on (left by a crash) is replaced.
        let stale = try DaemonHarness()
        let fd = Self.bindUnixSocket(stale.socketPath)
        close(fd)
        #expect(FileManager.default.fileExists(atPath: stale.socketPath))
        try stale.start()
        #expect(try await stale.client.health().status == "ok", "a stale socket is replaced")

        // On exit, rnnd removes the socket only if it is still the one it bound.
        let moved = stale.directory.appendingPathComponent("moved.sock").path
        #expect(rename(stale.socketPath, moved) == 0)
        let impostor = Self.bindUnixSocket(stale.socketPath)
        defer { close(impostor) }
        var before = stat()
        lstat(stale.socketPath, &before)
        #expect(stale.terminate().status == 0)
        var after = stat()
        #expect(lstat(stale.socketPath, &after) == 0 && after.st_ino == before.st_ino, "another process's socket file is left alone")
    }

    /// Runs rnnd to its exit; returns the status and what it wrote to stderr.
    static func runRNND(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("rnnd"))
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message)
    }

    /// A bound (not listening) Unix socket at `path`; returns its descriptor.
    static func bindUnixSocket(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        return fd
    }


    @Test func theLoopbackTCPListenerWantsTheTokenAndALoopbackHost() async throws {
        let harness = try DaemonHarness()
        let token = "t-" + UUID().uuidString
        let tokenFile = try harness.file("token", token + "\n")
        let port = Int.random(in: 20_000...60_000)
        try harness.start(["--tcp-listen", "127.0.0.1:\(port)", "--token-file", tokenFile])
        let base = "http://127.0.0.1:\(port)"
        #expect(try await RNNClient(endpoint: .tcp(baseURL: base, token: token)).health().status == "ok")
        do {
            _ = try await RNNClient(endpoint: .tcp(baseURL: base, token: "wrong-token-0123456789")).health()
            Issue.record("a wrong token must be refused")
        } catch ClientError.api(let status, _) {
            #expect(status == 401)
        }
        // A page in a browser that reaches 127.0.0.1 through a rebound DNS name sends its own Host.
        let (status, _) = try Self.rawHTTP(port: port, host: "evil.example", token: token)
        #expect(status == 403, "a non-loopback Host is refused")
    }

    /// One HTTP/1.1 request over TCP with a chosen Host header; returns the status code and the body.
    static func rawHTTP(port: Int, host: String, token: String) throws -> (Int, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw HarnessError("cannot connect to port \(port)") }
        let text = "GET /healthz HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"
        _ = text.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let reply = String(decoding: response, as: UTF8.self)
        let status = reply.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, reply)
    }
}
}
