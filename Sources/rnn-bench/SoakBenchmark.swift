import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNStore

/// A long life in one rnnd: many short runs back to back, then many small sweeps, while its resident memory
/// and open file descriptors are sampled. Reported: their slopes (per 100 runs), the store's size per run,
/// and whatever is left on disk that no row accounts for.
struct SoakBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run many short runs and sweeps through one real rnnd and report its memory, descriptors and disk (exit 1 on a leak).",
        discussion: """
            Runs are submitted in batches of 10 and each batch is waited for; after every batch rnnd's RSS and open \
            descriptors are sampled. A leak is more than 3 descriptors above the count after the first batch, or an \
            RSS slope above 5 MB per 100 runs over the second half (the first batches warm caches); files without \
            rows fail too.

            Example: rnn-bench soak --runs 500 --sweeps 50
            """
    )
    @Option(help: "Short runs, back to back.") var runs = 500
    @Option(help: "Small grid sweeps (two trials each) after the runs.") var sweeps = 50

    struct Sample {
        var done: Int
        var rssMB: Double
        var descriptors: Int
    }

    func run() async throws {
        let root = URL(fileURLWithPath: "/tmp/rnn-bench-soak-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let daemon = try ChaosBenchmark.Daemon(directory: root, windowMs: 0)
        defer { daemon.stop() }
        try await daemon.start()
        let client = daemon.client
        let corpus = root.appendingPathComponent("fox.txt")
        try Data(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 40).utf8).write(to: corpus)
        let sha = try await client.uploadDataset(file: corpus.path, name: "fox.txt", kind: .text).sha256
        let config: [String: APIValue] = ["hidden_size": .int(8), "embedding_size": .int(4), "seq_len": .int(8), "batch_size": .int(4),
                                          "workers": .int(1), "max_steps": .int(20), "checkpoint_every": .int(5), "eval_every": .int(10),
                                          "keep_checkpoints": .int(2), "val_fraction": .double(0.1)]
        guard let pid = daemon.process?.processIdentifier else { throw ValidationError("rnnd is not running") }
        var samples: [Sample] = [Self.sample(pid, done: 0)]
        let started = Date()
        var ids: [Int64] = []
        while ids.count < runs {
            let batch = try await (0..<min(10, runs - ids.count)).asyncMap { _ in try await client.submit(SubmitRequest(dataset: sha, config: config)).id }
            try await daemon.waitUntilFinal(batch, seconds: 600)
            ids += batch
            samples.append(Self.sample(pid, done: ids.count))
        }
        let runSeconds = Date().timeIntervalSince(started)
        var sweepIDs: [Int64] = []
        for _ in 0..<sweeps {
            let sweep = try await client.submitSweep(SweepRequest(dataset: sha, config: config, space: ["lr=[0.001, 0.01]"], method: .grid,
                                                                  maxConcurrent: 1)).id
            _ = try await daemon.waitUntilSweepEnds(sweep, seconds: 600)
            sweepIDs.append(sweep)
        }
        samples.append(Self.sample(pid, done: ids.count))

        var problems: [String] = []
        var checkpointRows = 0
        let all = try await client.runs(limit: 10_000)
        for run in all {
            let detail = try await client.run(run.id)
            checkpointRows += detail.checkpoints.count
            if !detail.run.isFinal { problems.append("run \(run.id) is \(detail.run.state)") }
            problems += ChaosBenchmark.checkFiles(of: detail, root: daemon.stateDirectory)
        }
        let folders = Set((try? FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory + "/checkpoints")) ?? [])
        let orphans = folders.subtracting(all.map { String($0.id) })
        if !orphans.isEmpty { problems.append("checkpoint folders of no run: \(orphans.sorted())") }
        let datasets = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory + "/datasets")
        if datasets != [sha] { problems.append("datasets/ holds \(datasets), expected only \(sha)") }

        let second = Array(samples.dropFirst(samples.count / 2))
        let rssSlope = Self.slope(second.map { (Double($0.done), $0.rssMB) }) * 100
        let fdSlope = Self.slope(samples.map { (Double($0.done), Double($0.descriptors)) }) * 100
        daemon.stop()
        let store = try Store(path: daemon.stateDirectory + "/rnnd.sqlite")
        let integrity = try store.integrityCheck()
        if integrity != "ok" { problems.append("integrity_check: \(integrity)") }
        let bytes = store.databaseBytes
        print(String(format: "%d runs in %.0f s (%.1f runs/s), then %d sweeps (%d trial runs); %d runs in all", runs, runSeconds,
                     Double(runs) / runSeconds, sweeps, all.count - runs, all.count))
        print(String(format: "rnnd RSS %.1f → %.1f MB (slope over the second half %+.2f MB per 100 runs); descriptors %d → %d (slope %+.2f per 100 runs)",
                     samples.first!.rssMB, samples.last!.rssMB, rssSlope, samples.first!.descriptors, samples.last!.descriptors, fdSlope))
        print(String(format: "database %.1f MB (%.1f KB per run), %d checkpoint rows (%.1f per run, keep_checkpoints 2 + the best)",
                     Double(bytes) / 1e6, Double(bytes) / 1e3 / Double(all.count), checkpointRows, Double(checkpointRows) / Double(all.count)))
        if rssSlope > 5 { problems.append(String(format: "RSS grows %.2f MB per 100 runs", rssSlope)) }
        // Descriptors are few and move by one or two as connections come and go: more than 3 above where they
        // were after the first batch is a leak, whatever the slope.
        if samples.last!.descriptors > samples[1].descriptors + 3 {
            problems.append("descriptors grew from \(samples[1].descriptors) to \(samples.last!.descriptors)")
        }
        if problems.isEmpty {
            print("no leak, nothing left over")
        } else {
            print("\(problems.count) problems:\n  " + problems.prefix(30).joined(separator: "\n  "))
            throw ExitCode(1)
        }
    }

    static func sample(_ pid: Int32, done: Int) -> Sample {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let kb = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { Double($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return Sample(done: done, rssMB: kb / 1024, descriptors: descriptors)
    }

    /// The least-squares slope of y over x.
    static func slope(_ points: [(Double, Double)]) -> Double {
        guard points.count > 1 else { return 0 }
        let n = Double(points.count)
        let mx = points.map(\.0).reduce(0, +) / n, my = points.map(\.1).reduce(0, +) / n
        let sxx = points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        guard sxx > 0 else { return 0 }
        return points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx
    }
}

extension Sequence {
    /// `map` with an async transform, in order, one element at a time.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
