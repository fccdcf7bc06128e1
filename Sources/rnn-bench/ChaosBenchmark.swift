import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNCore
import RNNStore
#if canImport(Glibc)
import Glibc
#endif

/// Fault injection: the real rnnd killed with SIGKILL at random moments — with its most harmful windows
/// (a checkpoint between its temporary file and its rename, a metric flush, a checkpoint row) widened by
/// RNND_FAULT_WINDOW_MS so that kills land in them often — restarted, killed again, then left to finish.
/// Each trial then checks that nothing was lost or corrupted.
struct ChaosBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Kill a real rnnd at random moments and check that nothing is lost (exit 1 if a trial fails).",
        discussion: """
            Each trial: a fresh state directory, a short run (in some trials a second one, queued or training \
            beside it; an ASHA sweep; submissions racing the kill), 2–4 SIGKILLs at random moments with \
            restarts — some of them killed again during their start-up recovery — then everything finishes. \
            Checked: PRAGMA integrity_check is ok; every acknowledged submission exists; every checkpoint row \
            has its file and no other file is left; every run's train_loss has each step exactly once and \
            equals, bit for bit, the curve of the same run trained without interruption, as do its final \
            parameters; every sweep's decisions (each trial's rung, state and value) equal those of the same \
            sweep run without interruption.

            Example: rnn-bench chaos --trials 50 --seed 1
            """
    )
    @Option(help: "Trials to run.") var trials = 10
    @Option(help: "The seed of the kill schedule (the same seed, the same schedule).") var seed: UInt64 = 1
    @Option(help: "The pause, in ms, rnnd makes inside its harmful windows.") var windowMs = 25
    @Flag(help: "Add a multi-host run (two ranks on this machine under mpirun) to one trial in five.") var multiHost = false
    @Flag(help: "Print JSON (one object with every trial).") var json = false

    struct Trial: Codable {
        var trial, kills: Int
        /// Of those, kills that landed while rnnd was starting (recovering its runs, before it answered).
        var killsDuringStartup, runs: Int
        var concurrent, sweep, multiHost: Bool
        var restarts: Int
        /// Checkpoint files found without their row at a restart (written, or being written, when rnnd was
        /// killed before it recorded them) and removed.
        var unrecordedCheckpoints: Int
        var seconds: Double
        var problems: [String]
        var passed: Bool { problems.isEmpty }
    }

    struct Summary: Codable {
        var trials: [Trial]
        var passed, failed, kills: Int
        var seconds: Double
    }

    /// A run configuration of the chaos: short, with frequent checkpoints and validations.
    static func config(seed: Int) -> [String: APIValue] {
        ["hidden_size": .int(32), "embedding_size": .int(16), "layers": .int(1), "seq_len": .int(32), "batch_size": .int(8),
         "workers": .int(2), "max_steps": .int(120), "checkpoint_every": .int(10), "eval_every": .int(30), "keep_checkpoints": .int(2),
         "val_fraction": .double(0.05), "seed": .int(seed)]
    }

    /// The sweep of some trials: a small ASHA over four rates, one trial at a time (so that its decisions depend
    /// on results only, never on which trial finished first).
    static func sweep(dataset: String) -> SweepRequest {
        SweepRequest(name: "chaos", dataset: dataset,
                     config: config(seed: 3).merging(["max_steps": .int(40), "checkpoint_every": .int(5), "eval_every": .int(10)]) { $1 },
                     space: ["lr=[0.0005, 0.002, 0.005, 0.02]"], method: .asha, maxConcurrent: 1,
                     asha: ASHASettings(minSteps: 10, eta: 2, maxSteps: 40))
    }

    /// What a sweep decided: each trial's number, rung, state and value.
    static func decisions(_ detail: SweepDetail) -> [String] {
        detail.trials.map { "trial \($0.number): rung \($0.rung), \($0.state.rawValue), \($0.value.map { "\($0)" } ?? "-")" }
    }

    /// What an uninterrupted run of a configuration ends with.
    struct Reference {
        var trainLoss: [SeriesPointInfo]
        var parameters: Data
    }

    func run() async throws {
        let root = URL(fileURLWithPath: "/tmp/rnn-bench-chaos-\(getpid())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = root.appendingPathComponent("corpus.txt")
        let licences = ["GPL-2", "LGPL-2.1", "GPL-3"].compactMap { try? String(contentsOfFile: "/usr/share/common-licenses/\($0)", encoding: .utf8) }
        guard !licences.isEmpty else { throw ValidationError("the corpus comes from /usr/share/common-licenses, which is missing") }
        try Data(licences.joined().utf8).write(to: corpus)

        // References: each configuration trained once without interruption, and the sweep.
        var references: [Int: Reference] = [:]
        var sweepReference: [String] = []
        do {
            let daemon = try Daemon(directory: root.appendingPathComponent("reference"), windowMs: 0)
            defer { daemon.stop() }
            try await daemon.start()
            let sha = try await daemon.client.uploadDataset(file: corpus.path, name: "corpus.txt", kind: .text).sha256
            for runSeed in [1, 2] {
                let id = try await daemon.client.submit(SubmitRequest(dataset: sha, config: Self.config(seed: runSeed))).id
                try await daemon.waitUntilFinal([id], seconds: 300)
                references[runSeed] = try await Self.outcome(daemon.client, id)
            }
            let sweep = try await daemon.client.submitSweep(Self.sweep(dataset: sha)).id
            sweepReference = Self.decisions(try await daemon.waitUntilSweepEnds(sweep, seconds: 600))
        }

        var random = SplitMix64(seed: seed)
        var results: [Trial] = []
        let started = Date()
        for t in 1...max(1, trials) {
            let trial = try await runTrial(t, root: root.appendingPathComponent("trial-\(t)"), corpus: corpus, references: references,
                                           sweepReference: sweepReference, random: &random)
            results.append(trial)
            if !json {
                print("trial \(t): \(trial.kills) kills (\(trial.killsDuringStartup) during start-up), \(trial.unrecordedCheckpoints) unrecorded checkpoint files cleaned, "
                      + "\(trial.runs) runs\(trial.concurrent ? " (two training at once)" : "")\(trial.multiHost ? ", one on two ranks" : "")"
                      + "\(trial.sweep ? ", a sweep" : ""), \(trial.restarts) restarts, "
                      + "\(String(format: "%.1f", trial.seconds)) s: "
                      + (trial.passed ? "ok" : "FAILED\n    " + trial.problems.joined(separator: "\n    ")))
                fflush(nil)
            }
        }
        let summary = Summary(trials: results, passed: results.filter(\.passed).count, failed: results.filter { !$0.passed }.count,
                              kills: results.reduce(0) { $0 + $1.kills }, seconds: Date().timeIntervalSince(started))
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print("\(summary.passed) of \(results.count) trials passed; \(summary.kills) kills in \(String(format: "%.0f", summary.seconds)) s")
        }
        if summary.failed > 0 { throw ExitCode(1) }
    }

    func runTrial(_ t: Int, root: URL, corpus: URL, references: [Int: Reference], sweepReference: [String],
                  random: inout SplitMix64) async throws -> Trial {
        let withMultiHost = multiHost
        let started = Date()
        let concurrent = random.next() % 3 == 0
        let daemon = try Daemon(directory: root, windowMs: windowMs, extraArguments: concurrent ? ["--concurrent-runs", "2"] : [])
        defer { daemon.stop() }
        try await daemon.start()
        let sha = try await daemon.client.uploadDataset(file: corpus.path, name: "corpus.txt", kind: .text).sha256
        // Acknowledged submissions and the configuration seed each was trained with.
        var acknowledged: [Int64: Int] = [:]
        acknowledged[try await daemon.client.submit(SubmitRequest(dataset: sha, config: Self.config(seed: 1))).id] = 1
        if concurrent || random.next() % 2 == 0 {
            acknowledged[try await daemon.client.submit(SubmitRequest(dataset: sha, config: Self.config(seed: 2))).id] = 2
        }
        let sweep: Int64? = random.next() % 4 == 0 ? try await daemon.client.submitSweep(Self.sweep(dataset: sha)).id : nil
        // Some trials add a multi-host run: two ranks of one worker on this machine under mpirun, which train
        // bitwise what one process with two workers trains (the reference of seed 1).
        var multiHostRun: Int64?
        if random.next() % 5 == 0 && withMultiHost {
            let config = Self.config(seed: 1).merging(["workers": .int(1), "hosts": .list(["127.0.0.1", "127.0.0.1"])]) { $1 }
            let id = try await daemon.client.submit(SubmitRequest(name: "two-ranks", dataset: sha, config: config)).id
            acknowledged[id] = 1
            multiHostRun = id
        }
        let kills = 2 + Int(random.next() % 3)
        var killsDuringStartup = 0
        for _ in 0..<kills {
            let delay = 0.15 + Double(random.next() % 1000) / 1000 * 1.2
            // Sometimes a submission races the kill: if rnnd acknowledged it, it must survive.
            let racing: Task<Int64?, Never>? = random.next() % 2 == 0 ? Task { [client = daemon.client] in
                try? await Task.sleep(for: .seconds(delay * 0.9))
                return try? await client.submit(SubmitRequest(dataset: sha, config: Self.config(seed: 1))).id
            } : nil
            try await Task.sleep(for: .seconds(delay))
            daemon.kill()
            if let id = await racing?.value { acknowledged[id] = 1 }
            // Sometimes the restart is killed too, while it recovers (requeues, cleans files) before it answers.
            if random.next() % 3 == 0 {
                try daemon.launch()
                try await Task.sleep(for: .milliseconds(Int(random.next() % 60)))
                daemon.kill()
                killsDuringStartup += 1
            }
            try await daemon.start()
        }
        var problems: [String] = []
        do {
            try await daemon.waitUntilFinal(Array(acknowledged.keys), seconds: 600)
            if let sweep {
                let decided = Self.decisions(try await daemon.waitUntilSweepEnds(sweep, seconds: 600))
                if decided != sweepReference {
                    problems.append("sweep \(sweep) decided \(decided), the uninterrupted sweep \(sweepReference)")
                }
                // Its runs are checked as every run is: files, and the curve once per step (a promotion's curve
                // starts after the checkpoint it was forked from).
                for run in try await daemon.client.runs(filter: "sweep = \(sweep)", limit: 1000) {
                    problems += Self.checkFiles(of: try await daemon.client.run(run.id), root: daemon.stateDirectory)
                    let steps = try await daemon.client.series(run.id, name: "train_loss").points.map(\.step)
                    if let first = steps.first, steps != Array(first..<(first + steps.count)) {
                        problems.append("sweep run \(run.id): train_loss has \(steps.count) points from step \(first), not each step once")
                    }
                }
            }
        } catch {
            problems.append("\(error)")
        }
        var restarts = 0
        for (id, runSeed) in acknowledged.sorted(by: { $0.key < $1.key }) {
            do {
                let detail = try await daemon.client.run(id)
                restarts += detail.run.restarts
                guard detail.run.state == .completed else {
                    problems.append("run \(id) ended \(detail.run.state): \(detail.run.failure ?? "")")
                    continue
                }
                problems += Self.checkFiles(of: detail, root: daemon.stateDirectory)
                let outcome = try await Self.outcome(daemon.client, id)
                let reference = references[runSeed]!
                if outcome.trainLoss != reference.trainLoss {
                    let steps = outcome.trainLoss.map(\.step)
                    let first = zip(outcome.trainLoss, reference.trainLoss).first { $0.0 != $0.1 }
                    problems.append("run \(id): train_loss has \(steps.count) points (\(Set(steps).count) distinct steps), the uninterrupted run \(reference.trainLoss.count)"
                                    + (first.map { "; first difference at step \($0.0.step): \($0.0.value) vs \($0.1.value)" } ?? ""))
                }
                // A multi-host run's export names its hosts and workers in the metadata: its tensors are compared.
                let same = id == multiHostRun ? Self.tensors(outcome.parameters) == Self.tensors(reference.parameters) : outcome.parameters == reference.parameters
                if !same { problems.append("run \(id): final parameters differ from the uninterrupted run's") }
            } catch {
                problems.append("run \(id), acknowledged, cannot be read: \(error)")
            }
        }
        daemon.stop()
        do {
            let integrity = try Store(path: daemon.stateDirectory + "/rnnd.sqlite").integrityCheck()
            if integrity != "ok" { problems.append("integrity_check: \(integrity)") }
        } catch {
            problems.append("the database cannot be opened: \(error)")
        }
        let log = (try? String(contentsOf: root.appendingPathComponent("rnnd.log"), encoding: .utf8)) ?? ""
        let cut = log.components(separatedBy: "a checkpoint file without a row").count - 1
        return Trial(trial: t, kills: kills + killsDuringStartup, killsDuringStartup: killsDuringStartup, runs: acknowledged.count,
                     concurrent: concurrent, sweep: sweep != nil, multiHost: multiHostRun != nil, restarts: restarts, unrecordedCheckpoints: cut,
                     seconds: Date().timeIntervalSince(started), problems: problems)
    }

    /// The tensor bytes of a safetensors file (what follows its JSON header).
    static func tensors(_ file: Data) -> Data {
        guard file.count >= 8 else { return file }
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return file.count >= 8 + length ? file.subdata(in: (8 + length)..<file.count) : file
    }

    /// Every checkpoint row has its file with its size, and the run's folder holds nothing else.
    static func checkFiles(of detail: RunDetail, root: String) -> [String] {
        let folder = root + "/checkpoints/\(detail.run.id)"
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        var problems: [String] = []
        for row in detail.checkpoints {
            let path = folder + "/\(row.step).ckpt"
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            if size != row.size { problems.append("run \(detail.run.id): the row of step \(row.step) says \(row.size) bytes, the file has \(size.map(String.init) ?? "none")") }
        }
        let extra = files.subtracting(detail.checkpoints.map { "\($0.step).ckpt" })
        if !extra.isEmpty { problems.append("run \(detail.run.id): files without rows (beyond retention or left by a cut write): \(extra.sorted())") }
        return problems
    }

    static func outcome(_ client: RNNClient, _ id: Int64) async throws -> Reference {
        Reference(trainLoss: try await client.series(id, name: "train_loss").points, parameters: try await client.export(id, checkpoint: .latest))
    }

    /// One rnnd on a state directory, started and killed at will.
    final class Daemon: @unchecked Sendable {
        let directory: URL
        let windowMs: Int
        let extraArguments: [String]
        var process: Process?
        var stateDirectory: String { directory.appendingPathComponent("state").path }
        var socket: String { directory.appendingPathComponent("rnnd.sock").path }
        var client: RNNClient { RNNClient(endpoint: .unixSocket(path: socket)) }

        init(directory: URL, windowMs: Int, extraArguments: [String] = []) throws {
            self.directory = directory
            self.windowMs = windowMs
            self.extraArguments = extraArguments
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        /// Starts rnnd without waiting for it to answer.
        func launch() throws {
            let rnnd = Process()
            rnnd.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rnnd")
            rnnd.arguments = ["--state-dir", stateDirectory, "--socket", socket, "--log-level", "warning", "--max-restarts", "1000"] + extraArguments
            var environment = ProcessInfo.processInfo.environment
            environment["RNND_FAULT_WINDOW_MS"] = String(windowMs)
            rnnd.environment = environment
            if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            rnnd.standardError = handle
            try rnnd.run()
            process = rnnd
        }

        var log: URL { directory.appendingPathComponent("rnnd.log") }

        /// Starts rnnd and waits until it answers.
        func start() async throws {
            try launch()
            let rnnd = process!
            for _ in 0..<600 {
                if (try? await client.health()) != nil { return }
                guard rnnd.isRunning else { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw ValidationError("rnnd did not start; its log: \(log.path)")
        }

        func kill() {
            guard let process, process.isRunning else { return }
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            guard let process, process.isRunning else { return }
            Glibc.kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }

        func waitUntilSweepEnds(_ id: Int64, seconds: Double) async throws -> SweepDetail {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let detail = try await client.sweep(id)
                if detail.sweep.state != .running { return detail }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw ValidationError("sweep \(id) did not end in \(Int(seconds)) s")
        }

        func waitUntilFinal(_ ids: [Int64], seconds: Double) async throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                var pending = false
                for id in ids where !(try await client.run(id).run.isFinal) { pending = true }
                if !pending { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw ValidationError("runs \(ids) did not finish in \(Int(seconds)) s")
        }
    }
}
