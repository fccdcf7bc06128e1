import Foundation
import RNNAPI
import RNNClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Shutdown and crash recovery of the real rnnd: a run killed with SIGKILL or stopped with SIGTERM resumes
/// from its last checkpoint at the next start, with no duplicated or missing steps, and ends bitwise where
/// a run that was never interrupted ends.
extension EndToEnd {
@Suite struct RecoveryTests {
    /// Steps of a few milliseconds, so that the run is surely mid-way when the test stops it.
    let config = smallModel.merging(["max_steps": .int(400), "seed": .int(7), "hidden_size": .int(192), "seq_len": .int(64),
                                     "batch_size": .int(16), "checkpoint_every": .int(50), "eval_every": .int(100)]) { $1 }

    /// Every step once, in order, 1…last.
    func expectCompleteCurve(_ client: RNNClient, _ id: Int64, last: Int) async throws {
        let steps = try await client.series(id, name: "train_loss").points.map(\.step)
        #expect(steps == Array(1...last), "run \(id): \(steps.count) points, first \(steps.first ?? -1), last \(steps.last ?? -1)")
    }

    /// The uninterrupted reference: same configuration, same workers, on the same daemon.
    func reference(_ harness: DaemonHarness, dataset: String, config: [String: APIValue]? = nil) async throws -> (loss: [Double], model: Data) {
        let client = harness.client
        let run = try await client.submit(SubmitRequest(name: "reference", dataset: dataset, config: config ?? self.config))
        _ = try await harness.waitFor(run: run.id, "completed") { $0.state == .completed }
        return (try await client.series(run.id, name: "train_loss").points.map(\.value), try await client.export(run.id, checkpoint: .latest))
    }

    @Test func aRunKilledWithSIGKILLResumesExactly() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let run = try await harness.client.submit(SubmitRequest(name: "crashed", dataset: dataset.sha256, config: config))
        let before = try await harness.waitFor(run: run.id, "step 120") { $0.step >= 120 }
        harness.crash()
        #expect(before.state == .running)

        try harness.start()
        let after = try await harness.waitFor(run: run.id, "completed after the restart") { $0.state == .completed }
        #expect(after.restarts == 1 && after.step == 400)
        let events = try await harness.client.run(run.id).events
        #expect(events.contains { $0.kind == .queued && $0.message.contains("unexpectedly") })
        #expect(events.contains { $0.kind == .running && $0.message.contains("resumed from the checkpoint of step") })
        try await expectCompleteCurve(harness.client, run.id, last: 400)

        let (referenceLoss, referenceModel) = try await reference(harness, dataset: dataset.sha256)
        #expect(try await harness.client.series(run.id, name: "train_loss").points.map(\.value) == referenceLoss, "the same loss curve, bitwise")
        #expect(try await harness.client.export(run.id, checkpoint: .latest) == referenceModel, "the same final parameters, bitwise")
    }

    @Test func damagedCheckpointsAndAMissingDatasetAreNamedAndTheRunResumesFromTheLastGoodCheckpoint() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let text = try SystemText.license()
        let file = try harness.file("gpl.txt", text)
        let dataset = try await harness.client.uploadDataset(file: file, name: "gpl.txt", kind: .text)
        let damaged = config.merging(["keep_checkpoints": .int(5)]) { $1 }
        let run = try await harness.client.submit(SubmitRequest(name: "damaged", dataset: dataset.sha256, config: damaged))
        _ = try await harness.waitFor(run: run.id, "three checkpoints") { $0.step >= 160 }
        harness.crash()
        // The newest checkpoint truncated, the one before it with a flipped byte: the run resumes from the third.
        let folder = harness.stateDirectory + "/checkpoints/\(run.id)"
        let steps = try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { Int($0.replacingOccurrences(of: ".ckpt", with: "")) }.sorted()
        try #require(steps.count >= 3, "checkpoints: \(steps)")
        let (newest, before, good) = (steps[steps.count - 1], steps[steps.count - 2], steps[steps.count - 3])
        let truncated = folder + "/\(newest).ckpt", flipped = folder + "/\(before).ckpt"
        try FileHandle(forWritingAtPath: truncated)!.truncate(atOffset: 100)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: flipped))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: flipped))

        try harness.start()
        let after = try await harness.waitFor(run: run.id, "completed after the restart") { $0.state.isFinal }
        let events = try await harness.client.run(run.id).events
        #expect(after.state == .completed && after.step == 400, "\(after.state) \(after.failure ?? ""): \(events.map(\.message))")
        for path in [truncated, flipped] {
            #expect(events.contains { $0.kind == .error && $0.message.contains(path) && $0.message.contains("truncated or corrupted") },
                    "an error event names \(path): \(events.map(\.message))")
            #expect(FileManager.default.fileExists(atPath: path + ".damaged"), "the damaged file is kept aside")
        }
        #expect(events.contains { $0.kind == .running && $0.message.contains("resumed from the checkpoint of step") })
        try await expectCompleteCurve(harness.client, run.id, last: 400)
        let (referenceLoss, referenceModel) = try await reference(harness, dataset: dataset.sha256, config: damaged)
        #expect(try await harness.client.series(run.id, name: "train_loss").points.map(\.value) == referenceLoss,
                "resumed from step \(good), the same loss curve, bitwise")
        #expect(try await harness.client.export(run.id, checkpoint: .latest) == referenceModel, "the same final parameters, bitwise")

        // A dataset file deleted behind rnnd's back: a submission that needs it is refused naming the file; a
        // queued run that needs it pauses when it starts, naming the file; uploading the same file again
        // restores it, and the run resumes.
        let blocker = try await harness.client.submit(SubmitRequest(name: "blocker", dataset: dataset.sha256,
                                                                    config: config.merging(["max_steps": .int(1_000_000)]) { $1 }))
        _ = try await harness.waitFor(run: blocker.id, "running") { $0.state == .running }
        let orphan = try await harness.client.submit(SubmitRequest(name: "no-data", dataset: dataset.sha256, config: config))
        let datasetFile = harness.stateDirectory + "/datasets/\(dataset.sha256)"
        try FileManager.default.removeItem(atPath: datasetFile)
        do {
            _ = try await harness.client.submit(SubmitRequest(name: "refused", dataset: dataset.sha256, config: config))
            Issue.record("a submission without its dataset file was accepted")
        } catch ClientError.api(let status, let body) {
            #expect(status == 409 && body.error.contains(datasetFile) && body.error.contains("upload the same file again"), "\(status) \(body.error)")
        }
        _ = try await harness.client.cancel(blocker.id)
        let paused = try await harness.waitFor(run: orphan.id, "paused") { $0.state != .queued && $0.state != .running }
        #expect(paused.state == .paused && (paused.failure ?? "").contains(datasetFile) && (paused.failure ?? "").contains("is missing"),
                "\(paused.state): \(paused.failure ?? "")")
        _ = try await harness.client.uploadDataset(file: file, name: "gpl.txt", kind: .text)
        _ = try await harness.client.resume(orphan.id)
        let resumed = try await harness.waitFor(run: orphan.id, "completed once the file is back") { $0.state.isFinal }
        #expect(resumed.state == .completed, "\(resumed.state) \(resumed.failure ?? "")")
    }

    @Test func SIGTERMCheckpointsInterruptsAndResumesAtTheNextStart() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let run = try await harness.client.submit(SubmitRequest(name: "interrupted", dataset: dataset.sha256, config: config))
        _ = try await harness.waitFor(run: run.id, "step 120") { $0.step >= 120 }
        let stopped = harness.terminate()
        #expect(stopped.reason == .exit && stopped.status == 0, "exit 0 on SIGTERM")
        #expect(stopped.seconds < 30, "stopped within the documented bound: \(stopped.seconds) s")
        #expect(harness.notify.wait(for: "STOPPING=1", seconds: 1) != nil)

        try harness.start()
        let detail = try await harness.client.run(run.id)
        let interrupted = detail.events.first { $0.kind == .interrupted }
        #expect(interrupted != nil, "marked interrupted at shutdown")
        let stepAtStop = detail.checkpoints.map(\.step).max() ?? 0
        #expect(interrupted?.message.contains("step \(stepAtStop)") == true, "a checkpoint at the step where it stopped: \(interrupted?.message ?? "")")
        let after = try await harness.waitFor(run: run.id, "completed after the restart") { $0.state == .completed }
        #expect(after.restarts == 0, "a clean shutdown is not a crash")
        try await expectCompleteCurve(harness.client, run.id, last: 400)
        let (referenceLoss, referenceModel) = try await reference(harness, dataset: dataset.sha256)
        #expect(try await harness.client.series(run.id, name: "train_loss").points.map(\.value) == referenceLoss)
        #expect(try await harness.client.export(run.id, checkpoint: .latest) == referenceModel)
    }

    @Test func aCancelledRunNeverComesBackAndRestartsAreBounded() async throws {
        let harness = try DaemonHarness()
        try harness.start(["--max-restarts", "1", "--concurrent-runs", "2"])
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let long = smallModel.merging(["max_steps": .int(1_000_000), "workers": .int(1)]) { $1 }
        let cancelled = try await harness.client.submit(SubmitRequest(name: "cancelled", dataset: dataset.sha256, config: long))
        let crashing = try await harness.client.submit(SubmitRequest(name: "crashing", dataset: dataset.sha256, config: long))
        _ = try await harness.waitFor(run: cancelled.id, "running") { $0.state == .running && $0.step > 5 }
        _ = try await harness.waitFor(run: crashing.id, "running") { $0.state == .running && $0.step > 5 }
        _ = try await harness.client.cancel(cancelled.id)
        harness.crash()  // right after the cancel: whether or not the run reached its step boundary

        try harness.start(["--max-restarts", "1", "--concurrent-runs", "2"])
        #expect(try await harness.client.run(cancelled.id).run.state == .cancelled, "a cancelled run never comes back")
        _ = try await harness.waitFor(run: crashing.id, "running again") { $0.state == .running && $0.restarts == 1 }
        harness.crash()
        try harness.start(["--max-restarts", "1", "--concurrent-runs", "2"])
        let failed = try await harness.client.run(crashing.id).run
        #expect(failed.state == .failed && failed.failure == "too many restarts", "\(failed)")
    }
}
}

/// The fault-injection harness, three trials: rnnd killed at random moments (inside checkpoint writes and
/// metric flushes among them) loses nothing and resumes bit for bit.
extension EndToEnd {
@Suite struct ChaosTests {
    struct Summary: Decodable {
        struct Trial: Decodable { let trial: Int; let kills: Int; let problems: [String] }
        let trials: [Trial]
        let passed: Int
        let failed: Int
        let kills: Int
    }

    @Test func threeChaosTrialsLoseNothing() throws {
        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: Binaries.path("rnn-bench"))
        bench.arguments = ["chaos", "--trials", "3", "--seed", "\(UInt64.random(in: 1...1_000_000))", "--json"]
        let out = Pipe(), err = Pipe()
        bench.standardOutput = out
        bench.standardError = err
        try bench.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let summary = try decoder.decode(Summary.self, from: data)
        #expect(summary.trials.count == 3 && summary.kills >= 6, "\(summary.kills) kills in \(summary.trials.count) trials")
        #expect(summary.failed == 0 && bench.terminationStatus == 0,
                "\(bench.arguments!): \(summary.trials.flatMap(\.problems)) \(errors)")
    }
}
}
