import Foundation
import RNNAPI
import RNNClient
import RNNTraining
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Multi-host runs through the real rnnd, mpirun and rnnd-worker, with ranks on this machine (the same
/// address named twice): the reproducible gradient sum, bitwise equivalence with the in-process trainer,
/// submit-time checks, and a rank killed mid-run.
extension EndToEnd {
@Suite struct MultiHostTests {
    static let config: [String: APIValue] = [
        "hidden_size": .int(48), "embedding_size": .int(16), "layers": .int(2), "seq_len": .int(32), "batch_size": .int(8),
        "val_fraction": .double(0.02), "eval_every": .int(50), "checkpoint_every": .int(50), "max_steps": .int(200), "seed": .int(3),
    ]
    static let twoRanks: APIValue = .list(["127.0.0.1", "127.0.0.1"])

    /// The same run trained by rnnd in its own process (rnnd and rnnd-worker pick the same OpenBLAS kernels;
    /// this test process may not, so bitwise references come from rnnd).
    static func inRNND(_ harness: DaemonHarness, dataset: String, _ values: [String: APIValue]) async throws -> (parameters: [Float], losses: [Double]) {
        let run = try await harness.client.submit(SubmitRequest(name: "in-process", dataset: dataset, config: values))
        let done = try await harness.waitFor(run: run.id, "completed") { $0.state.isFinal }
        #expect(done.state == .completed)
        return (try await lastParameters(harness, run.id), try await harness.client.series(run.id, name: "train_loss").points.map(\.value))
    }

    /// The in-process trainer's final parameters and loss curve for `values` (no checkpoints), in this process.
    static func inProcess(_ values: [String: APIValue], text: String) throws -> (parameters: [Float], losses: [Double]) {
        let config = try RunConfig(values)
        let data = try DatasetLoader.load(kind: .text, bytes: Array(text.utf8), name: "gpl.txt", config: config)
        let losses = LossCollector()
        let trainer = try Trainer(config: config, data: data, checkpointDirectory: nil) { event in
            if case .step(let m) = event { losses.append(m.trainLoss) }
        }
        _ = try trainer.run()
        return (trainer.currentParameters, losses.values)
    }

    /// The parameters of a run's last checkpoint, read from rnnd's state directory.
    static func lastParameters(_ harness: DaemonHarness, _ id: Int64) async throws -> [Float] {
        let step = try await harness.client.run(id).checkpoints.map(\.step).max() ?? 0
        return try Checkpoint.read(from: URL(fileURLWithPath: "\(harness.stateDirectory)/checkpoints/\(id)/\(step).ckpt")).parameters
    }

    @Test func theReducerIsBitwiseTheSerialSumOnThreeRanks() throws {
        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: Binaries.path("rnn-bench"))
        bench.arguments = ["allreduce", "--ranks", "3", "--sizes", "1", "--rounds", "1", "--json"]
        let pipe = Pipe()
        bench.standardOutput = pipe
        try bench.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        #expect(bench.terminationStatus == 0, "\(output)")
        #expect(output.contains(#""bitwiseSerial":true"#) && output.contains(#""ranks":3"#), "\(output)")
    }

    @Test func twoRanksTrainBitwiseTheRunOfTwoInProcessWorkers() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let text = try SystemText.license()
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", text), name: "gpl.txt", kind: .text)
        let run = try await harness.client.submit(SubmitRequest(
            name: "two-ranks", dataset: dataset.sha256, config: Self.config.merging(["hosts": Self.twoRanks, "workers": .int(1)]) { $1 }))
        let done = try await harness.waitFor(run: run.id, "completed") { $0.state.isFinal }
        #expect(done.state == .completed, "\(done.failure ?? "")\n\(harness.logText)")

        let reference = try await Self.inRNND(harness, dataset: dataset.sha256, Self.config.merging(["workers": .int(2)]) { $1 })
        let losses = try await harness.client.series(run.id, name: "train_loss").points.map(\.value)
        #expect(losses == reference.losses, "the loss curve, bitwise")
        #expect(try await Self.lastParameters(harness, run.id) == reference.parameters, "the final parameters, bitwise")
        // The step time's communication share is recorded.
        let communication = try await harness.client.series(run.id, name: "comm_seconds").points
        #expect(communication.count == 200 && communication.allSatisfy { $0.value > 0 })
        let status = try harness.rnnctl(["status", "\(run.id)"])
        #expect(status.status == 0 && status.stdout.contains("hosts 127.0.0.1, 127.0.0.1 (rank 0 first)  step ")
                && status.stdout.contains("communication"), "\(status.stdout)")
        // `--set hosts=a,b` is how rnnctl users name hosts.
        let submitted = try harness.rnnctl(["submit", "--dataset", dataset.sha256, "--set", "hosts=127.0.0.1,127.0.0.1", "--set", "workers=1",
                                            "--set", "max_steps=5", "--set", "val_fraction=0.02", "-q"])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let id = try #require(Int64(submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await harness.client.run(id).config["hosts"] == Self.twoRanks)
        _ = try await harness.waitFor(run: id, "completed") { $0.state.isFinal }
    }

    /// With gradient accumulation too (two minibatches per exchange).
    @Test func twoRanksOfTwoWorkersAgreeWithFourInProcessWorkers() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let text = try SystemText.license()
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", text), name: "gpl.txt", kind: .text)
        let run = try await harness.client.submit(SubmitRequest(
            name: "two-by-two", dataset: dataset.sha256,
            config: Self.config.merging(["hosts": Self.twoRanks, "workers": .int(2), "accumulate_steps": .int(2)]) { $1 }))
        let done = try await harness.waitFor(run: run.id, "completed") { $0.state.isFinal }
        #expect(done.state == .completed, "\(done.failure ?? "")\n\(harness.logText)")
        // The host sums ((g₀+g₁) + (g₂+g₃)) where four workers sum (((g₀+g₁)+g₂)+g₃): equal to rounding.
        let reference = try Self.inProcess(Self.config.merging(["workers": .int(4), "accumulate_steps": .int(2)]) { $1 }, text: text)
        let parameters = try await Self.lastParameters(harness, run.id)
        #expect(parameters.count == reference.parameters.count)
        let worst = zip(parameters, reference.parameters).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func hostsAreCheckedAtSubmit() async throws {
        let harness = try DaemonHarness()
        try harness.start(["--mpi-max-hosts", "3"])
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        func refusal(_ hosts: [String], _ extra: [String: APIValue] = [:]) async -> String? {
            do {
                _ = try await harness.client.submit(SubmitRequest(dataset: dataset.sha256,
                                                                   config: Self.config.merging(extra.merging(["hosts": .list(hosts)]) { $1 }) { $1 }))
                return nil
            } catch ClientError.api(let status, let body) {
                #expect(status == 400 && body.field == "hosts", "\(body)")
                return body.error
            } catch {
                return "\(error)"
            }
        }
        #expect(await refusal(["192.0.2.7", "127.0.0.1"])?.contains("the first host (192.0.2.7) must be this machine") == true)
        #expect(await refusal(["127.0.0.1", "bad host!"])?.contains("\"bad host!\" is not a host name") == true)
        #expect(await refusal(["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"])?.contains("mpi.max_hosts allows 3") == true)
        #expect(await refusal(["127.0.0.1", "127.0.0.1", "127.0.0.1"], ["batch_size": .int(2), "workers": .int(1)])?.contains("batch_size") == true)
        harness.crash()
        try harness.start(["--mpirun", "/nonexistent/mpirun"])
        #expect(await refusal(["127.0.0.1", "127.0.0.1"])?.contains("need Open MPI") == true)
        #expect(try await harness.client.runs().isEmpty, "nothing refused was recorded")
    }

    @Test func aKilledRankRequeuesTheRunWhichResumesBitwise() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let text = try SystemText.license()
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", text), name: "gpl.txt", kind: .text)
        let values = Self.config.merging(["hidden_size": .int(160), "max_steps": .int(300), "checkpoint_every": .int(40)]) { $1 }
        let run = try await harness.client.submit(SubmitRequest(
            name: "killed-rank", dataset: dataset.sha256, config: values.merging(["hosts": Self.twoRanks, "workers": .int(1)]) { $1 }))
        _ = try await harness.waitFor(run: run.id, "step 90") { $0.step >= 90 }
        let ranks = Self.processes(matching: "\(harness.stateDirectory)/mpi/\(run.id)/config.json")
        #expect(ranks.count == 2, "two rnnd-worker ranks: \(ranks)")
        kill(ranks.max()!, SIGKILL)
        let done = try await harness.waitFor(run: run.id, seconds: 180, "completed after the requeue") { $0.state.isFinal && $0.restarts == 1 }
        #expect(done.state == .completed && done.step == 300, "\(done.state) \(done.failure ?? "")")
        let events = try await harness.client.run(run.id).events
        #expect(events.contains { $0.kind == .interrupted && $0.message.contains("mpirun exited with status") }, "\(events.map(\.message))")
        #expect(events.contains { $0.kind == .running && $0.message.contains("resumed from the checkpoint of step") })
        let steps = try await harness.client.series(run.id, name: "train_loss").points.map(\.step)
        #expect(steps == Array(1...300), "every step once")
        let reference = try await Self.inRNND(harness, dataset: dataset.sha256, values.merging(["workers": .int(2)]) { $1 })
        #expect(try await Self.lastParameters(harness, run.id) == reference.parameters, "the final parameters, bitwise")
        #expect(Self.processes(matching: "\(harness.stateDirectory)/mpi/").isEmpty, "no rank is left behind")
    }

    @Test func pauseResumeAndSIGTERMStopEveryRankAtAStepBoundaryAndTheRunEndsBitwise() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let values = Self.config.merging(["hidden_size": .int(160), "max_steps": .int(300), "checkpoint_every": .int(40)]) { $1 }
        let run = try await harness.client.submit(SubmitRequest(
            name: "paused", dataset: dataset.sha256, config: values.merging(["hosts": Self.twoRanks, "workers": .int(1)]) { $1 }))
        _ = try await harness.waitFor(run: run.id, "step 50") { $0.step >= 50 }
        _ = try await harness.client.pause(run.id)
        let paused = try await harness.waitFor(run: run.id, "paused") { $0.state == .paused }
        let detail = try await harness.client.run(run.id)
        #expect(detail.checkpoints.map(\.step).max() == paused.step, "a checkpoint at the step it paused at (\(paused.step))")
        #expect(Self.processes(matching: "\(harness.stateDirectory)/mpi/").isEmpty, "the ranks ended")
        _ = try await harness.client.resume(run.id)
        _ = try await harness.waitFor(run: run.id, "step \(paused.step + 40)") { $0.step >= paused.step + 40 }
        let stopped = harness.terminate()
        #expect(stopped.status == 0 && Self.processes(matching: "\(harness.stateDirectory)/mpi/").isEmpty)
        try harness.start()
        let done = try await harness.waitFor(run: run.id, "completed") { $0.state.isFinal }
        #expect(done.state == .completed && done.restarts == 0, "\(done.state) \(done.failure ?? "")")
        let events = try await harness.client.run(run.id).events
        #expect(events.contains { $0.kind == .interrupted && $0.message.contains("rnnd stopped at step") })
        #expect(try await harness.client.series(run.id, name: "train_loss").points.map(\.step) == Array(1...300), "every step once")
        let reference = try await Self.inRNND(harness, dataset: dataset.sha256, values.merging(["workers": .int(2)]) { $1 })
        #expect(try await Self.lastParameters(harness, run.id) == reference.parameters, "the final parameters, bitwise")
    }

    /// The pids of rnnd-worker processes whose command line contains `text`.
    static func processes(matching text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains("rnnd-worker") && line.contains(text) && !line.contains("mpirun") ? pid : nil
        }
    }
}
}

/// Collects the trainer's losses from its sink (called on the trainer's thread, read after `run`).
final class LossCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Double] = []
    func append(_ value: Double) { lock.withLock { collected.append(value) } }
    var values: [Double] { lock.withLock { collected } }
}
