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
}
}
