import Foundation
import RNNAPI
import RNNClient
import RNNStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A state directory on a small file system (tmpfs, which needs root, as CI has) that training fills.
extension EndToEnd {
@Suite struct DiskFullTests {
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskPausesTheRunNamingItAndResumeContinuesOnceFreed() async throws {
        let harness = try DaemonHarness()
        let state = harness.stateDirectory
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try Self.shell("mount -t tmpfs -o size=12m tmpfs \(state)")
        defer {
            harness.crash()
            _ = try? Self.shell("umount \(state)")
        }
        try harness.start()
        let client = harness.client
        let dataset = try await client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        // About 1 MB per checkpoint (parameters and two Adam buffers); leave room for a few of them only.
        let config = smallModel.merging(["hidden_size": .int(160), "max_steps": .int(300), "checkpoint_every": .int(10),
                                         "keep_checkpoints": .int(3), "workers": .int(1)]) { $1 }
        let ballast = state + "/ballast"
        try Self.shell("head -c $(( $(df --output=avail -B1 \(state) | tail -1) - (5 << 20) )) /dev/zero > \(ballast)")
        let run = try await client.submit(SubmitRequest(name: "fills the disk", dataset: dataset.sha256, config: config))

        let paused = try await harness.waitFor(run: run.id, "paused by the full disk") { $0.state == .paused || $0.isFinal }
        #expect(paused.state == .paused, "\(paused.state): \(paused.failure ?? "")")
        let reason = paused.failure ?? ""
        #expect(reason.contains("No space left on device") || reason.contains("disk is full"), "the reason names the disk: \(reason)")
        let events = try await client.run(run.id).events
        #expect(events.last?.kind == .paused && events.last?.message.contains("state directory cannot be written") == true, "\(events.last?.message ?? "")")
        #expect(try await client.health().status == "ok", "rnnd keeps answering")
        #expect(try Store(path: state + "/rnnd.sqlite").integrityCheck() == "ok")
        let lastCheckpoint = try #require(try await client.run(run.id).checkpoints.last?.step)

        // Space freed: resume continues from the last complete checkpoint to the end.
        try FileManager.default.removeItem(atPath: ballast)
        let resume = Process()
        resume.executableURL = URL(fileURLWithPath: Binaries.path("rnnctl"))
        resume.arguments = ["resume", String(run.id)]
        resume.environment = ["RNND_SOCKET": harness.socketPath, "PATH": "/usr/bin:/bin"]
        try resume.run()
        resume.waitUntilExit()
        #expect(resume.terminationStatus == 0)
        let done = try await harness.waitFor(run: run.id, seconds: 300, "completed after resume") { $0.isFinal }
        #expect(done.state == .completed && done.step == 300 && done.failure == nil, "\(done.state) \(done.failure ?? "")")
        let resumed = try await client.run(run.id).events.last { $0.kind == .running }
        #expect(resumed?.message.contains("resumed from the checkpoint of step \(lastCheckpoint)") == true, "\(resumed?.message ?? "")")
        let steps = try await client.series(run.id, name: "train_loss").points.map(\.step)
        #expect(steps == Array(1...300), "every step once: \(steps.count) points")
    }

    @discardableResult
    static func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw HarnessError("`\(command)` exited \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
}
