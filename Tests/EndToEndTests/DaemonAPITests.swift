import Foundation
import RNNAPI
import RNNClient
import Testing
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// The control API through the real socket of the real rnnd: uploads, validation, the queue, cancel,
/// pause and resume, fork, the event stream, models, /metrics.
extension EndToEnd {
@Suite struct DaemonAPITests {
    /// A request that must be refused with `status`, naming `field` when given.
    func refused(_ status: Int, field: String? = nil, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected HTTP \(status)")
        } catch ClientError.api(let got, let error) {
            #expect(got == status, "\(error)")
            if let field { #expect(error.field == field, "\(error)") }
            #expect(!error.error.isEmpty)
        } catch {
            Issue.record("expected HTTP \(status), got \(error)")
        }
    }

    @Test func uploadsAreHashedDeduplicatedAndLimited() async throws {
        let harness = try DaemonHarness()
        try harness.start(["--max-upload-bytes", "40000"])
        let client = harness.client
        let file = try harness.file("gpl.txt", try SystemText.license())
        let first = try await client.uploadDataset(file: file, name: "gpl.txt", kind: .text)
        let again = try await client.uploadDataset(file: file, name: "copy.txt", kind: .text)
        #expect(first.sha256 == SHA256Hex.hex(Array(try Data(contentsOf: URL(fileURLWithPath: file)))))
        #expect(again == first, "the same bytes are stored once")
        #expect(try await client.dataset(sha256: first.sha256) == first)
        let stored = try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory + "/datasets")
        #expect(stored == [first.sha256])

        let big = try harness.file("big.txt", String(repeating: "a", count: 50_000))
        await refused(413) { _ = try await client.uploadDataset(file: big, name: "big.txt", kind: .text) }
        let binary = harness.directory.appendingPathComponent("bad.txt")
        try Data([0x61, 0xFF, 0xFE, 0x62]).write(to: binary)
        await refused(400, field: "body") { _ = try await client.uploadDataset(file: binary.path, name: "bad.txt", kind: .text) }
        await refused(400, field: "kind") { _ = try await client.raw("POST", "/v1/datasets?name=x&kind=pdf", json: Data("abc".utf8)) }
        let after = try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory + "/datasets")
        #expect(after == [first.sha256], "refused uploads leave nothing behind: \(after)")
    }

    @Test func everyBadSubmissionIsRefusedNamingTheFieldAndNothingIsStored() async throws {
        let harness = try DaemonHarness()
        try harness.start(["--memory-budget-mb", "64"])
        let client = harness.client
        let dataset = try await client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        func submit(_ config: [String: APIValue]) async throws {
            _ = try await client.submit(SubmitRequest(dataset: dataset.sha256, config: smallModel.merging(config) { $1 }.merging(["max_steps": .int(10)]) { a, _ in a }))
        }
        await refused(400, field: "hidden_size") { try await submit(["hidden_size": .int(0)]) }
        await refused(400, field: "hidden_size") { try await submit(["hidden_size": .int(1_000_000_000)]) }
        await refused(400, field: "lr") { try await submit(["lr": .double(-0.1)]) }
        await refused(400, field: "cell") { try await submit(["cell": .string("transformer")]) }
        await refused(400, field: "dropout") { try await submit(["dropout": .string("lots")]) }
        await refused(400, field: "hidden_sise") { try await submit(["hidden_sise": .int(3)]) }
        await refused(400, field: "seq_len") { try await submit(["seq_len": .int(50_000)]) }
        await refused(400, field: "hidden_size") { try await submit(["hidden_size": .int(4096), "layers": .int(4), "seq_len": .int(256)]) }
        await refused(422) { _ = try await client.submit(SubmitRequest(dataset: String(repeating: "ab", count: 32), config: smallModel)) }
        await refused(400, field: "dataset") { _ = try await client.submit(SubmitRequest(dataset: "../../etc/passwd", config: smallModel)) }
        // Malformed bodies, sent raw.
        for (body, field) in [("{", nil), (#"{"dataset": "x", "config": {}, "colour": 1}"#, "colour"), (#"{"config": {}}"#, "dataset"),
                              (#"{"dataset": 3, "config": {}}"#, "dataset"), (#"[1, 2]"#, nil)] as [(String, String?)] {
            await refused(400, field: field) { _ = try await client.raw("POST", "/v1/runs", json: Data(body.utf8)) }
        }
        #expect(try await client.runs().isEmpty, "nothing invalid was stored")

        // Too many workers are clamped to the cores, with a notice in the run's events.
        let run = try await client.submit(SubmitRequest(dataset: dataset.sha256, config: smallModel.merging(["workers": .int(64), "max_steps": .int(5)]) { $1 }))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(run.workers == cores)
        let detail = try await client.run(run.id)
        #expect(detail.events.contains { $0.kind == .notice && $0.message.contains("workers clamped from 64 to \(cores)") })
        #expect(detail.config["workers"] == .int(cores))
        _ = try await harness.waitFor(run: run.id, "completed") { $0.state == .completed }
    }

    @Test func queueCancelPauseResumeForkStreamAndModels() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let client = harness.client
        let dataset = try await client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let long = smallModel.merging(["max_steps": .int(100_000)]) { $1 }

        // One run at a time (the default): the second waits, and its cancel takes effect at once.
        let first = try await client.submit(SubmitRequest(name: "first", dataset: dataset.sha256, config: long))
        let second = try await client.submit(SubmitRequest(name: "second", dataset: dataset.sha256, config: long, priority: 5))
        _ = try await harness.waitFor(run: first.id, "running") { $0.state == .running && $0.step > 10 }
        #expect(try await client.run(second.id).run.state == .queued)
        let cancelledQueued = try await client.cancel(second.id)
        #expect(cancelledQueued.state == .cancelled)
        await refused(409) { _ = try await client.cancel(second.id) }

        // The event stream: steps arrive without polling.
        var steps = 0
        for try await event in try await client.stream(first.id) {
            if event.kind == .step { steps += 1 }
            if steps >= 20 { break }
        }
        #expect(steps >= 20)

        // Pause stops at a step boundary with a checkpoint; resume continues from it.
        _ = try await client.pause(first.id)
        let paused = try await harness.waitFor(run: first.id, "paused") { $0.state == .paused }
        let checkpoints = try await client.run(first.id).checkpoints
        #expect(checkpoints.last?.step == paused.step, "a checkpoint at the step where it paused")
        _ = try await client.resume(first.id)
        let resumed = try await harness.waitFor(run: first.id, "running again") { $0.state == .running && $0.step > paused.step + 10 }
        #expect(resumed.restarts == 0, "a pause is not a restart")

        // Cancel of a running run: at a step boundary, with a final checkpoint, recording who asked.
        _ = try await client.cancel(first.id)
        let cancelled = try await harness.waitFor(run: first.id, "cancelled") { $0.state == .cancelled }
        let detail = try await client.run(first.id)
        #expect(detail.checkpoints.last?.step == cancelled.step && detail.checkpoints.last?.kind == .final, "the cancel writes the final checkpoint")
        #expect(detail.events.contains { $0.kind == .cancelled && $0.uid == Int(getuid()) })
        #expect(detail.run.submittedBy == Int(getuid()), "the submitter's uid comes from SO_PEERCRED")

        // Series: one point per step, no gaps; downsampling on request.
        let series = try await client.series(first.id, name: "train_loss")
        #expect(series.points.map(\.step) == Array(1...cancelled.step))
        #expect(try await client.series(first.id, name: "train_loss", maxPoints: 10).points.count <= 20)

        // Fork from the best checkpoint with another learning rate; it starts where that checkpoint is.
        await refused(400, field: "hidden_size") { _ = try await client.fork(first.id, ForkRequest(set: ["hidden_size": .int(128)])) }
        let fork = try await client.fork(first.id, ForkRequest(checkpoint: .latest, set: ["lr": .double(0.001), "max_steps": .int(cancelled.step + 30)]))
        #expect(fork.parentRunId == first.id && fork.parentCheckpointStep == cancelled.step)
        var sawState = false
        for try await event in try await client.stream(fork.id) where event.kind == .state { sawState = event.state == .completed }
        #expect(sawState, "the stream ends with the final state")
        let forked = try await client.run(fork.id)
        #expect(forked.run.step == cancelled.step + 30 && forked.config["lr"] == .double(0.001))
        #expect(try await client.series(fork.id, name: "train_loss").points.first?.step == cancelled.step + 1)

        // Models: sample, evaluate, export.
        let sample = try await client.sample(fork.id, SampleRequest(prime: "The ", length: 50, temperature: 0.8, seed: 3))
        #expect(sample.text.hasPrefix("The ") && sample.text.count == 54, "the prime and 50 characters")
        #expect(try await client.sample(fork.id, SampleRequest(prime: "The ", length: 50, temperature: 0.8, seed: 3)) == sample, "same seed, same text")
        await refused(400, field: "temperature") { _ = try await client.sample(fork.id, SampleRequest(prime: "a", length: 5, temperature: 0)) }
        let evaluation = try await client.evaluate(fork.id, EvaluateRequest(dataset: dataset.sha256))
        #expect(evaluation.loss > 0 && abs(evaluation.bitsPerChar! - evaluation.loss / log(2)) < 1e-9)
        let exported = try await client.export(fork.id, checkpoint: .latest)
        let headerLength = exported.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: exported.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
        #expect(header?["lstm.weight_ih_l0"] != nil && header?["__metadata__"] != nil, "safetensors with PyTorch names")

        // Metrics for Prometheus, and deletion.
        let metrics = String(decoding: try await client.raw("GET", "/metrics"), as: UTF8.self)
        #expect(metrics.contains(#"rnnd_runs{state="cancelled"} 2.0"#) && metrics.contains("rnnd_database_bytes"), "\(metrics)")
        await refused(404) { _ = try await client.run(999) }
        try await client.delete(second.id)
        await refused(404) { _ = try await client.run(second.id) }
        // A parent of a fork is kept unless forced: its fork would lose the "forked from" line.
        await refused(409) { try await client.delete(first.id) }
        #expect(try await client.run(fork.id).run.parentRunId == first.id)
        try await client.delete(first.id, force: true)
        #expect(try await client.run(fork.id).run.parentRunId == nil)

        // Datasets: listed with the runs that use them; deleted only when none does, file and all.
        let datasets = try await client.datasets()
        let used = try #require(datasets.first { $0.sha256 == fork.dataset })
        #expect(used.runs == 1, "the fork still uses it: \(datasets)")
        await refused(409) { try await client.deleteDataset(sha256: used.sha256) }
        try await client.delete(fork.id)
        try await client.deleteDataset(sha256: used.sha256)
        #expect(try await client.datasets().contains { $0.sha256 == used.sha256 } == false)
        #expect(try await client.dataset(sha256: used.sha256) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory + "/datasets").filter { $0.hasPrefix(used.sha256) }.isEmpty,
                "the file is gone")
        await refused(404) { try await client.deleteDataset(sha256: used.sha256) }
    }
}
}
