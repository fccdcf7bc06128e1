import ArgumentParser
import Foundation
import RNNCore
import RNNTraining

/// A benchmark configuration trained by rnnd-worker ranks under mpirun on this machine (TCP over the loopback
/// interface, as between hosts): the step time split into compute and communication.
struct MultiHostBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multihost",
        abstract: "Time a multi-host step (rnnd-worker ranks under mpirun on this machine): compute and communication.",
        discussion: """
            For each --ranks value: mpirun -np R rnnd-worker (TCP over loopback only, --oversubscribe) trains the \
            configuration on random text for --steps steps with --workers replicas per rank; the medians of the \
            steps after the first five. Needs Open MPI and rnnd-worker beside rnn-bench.

            Example: rnn-bench multihost --config M --ranks 1 --ranks 2 --workers 1
            """
    )
    @Option(help: "The configuration (S, M or L).") var config: BenchmarkConfig = .M
    @Option(help: "Rank counts (repeatable).") var ranks: [Int] = [1, 2]
    @Option(help: "Replicas per rank.") var workers = 1
    @Option(help: "Steps per measurement.") var steps = 40
    @Option(help: "The mpirun to use.") var mpirun = "mpirun"
    @Flag(help: "Print one JSON object per line.") var json = false

    struct Row: Codable {
        var config: String
        var ranks, workers: Int
        var stepMs, computeMs, communicationMs, tokensPerSecond: Double
        /// The gradient every step exchanges (4 bytes a parameter).
        var gradientMB: Double
    }

    func validate() throws {
        guard config != .TS else { throw ValidationError("--config: S, M or L (the character models)") }
        guard steps > 6 else { throw ValidationError("--steps must be more than 6") }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bench-multihost-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = config.spec
        // Random text over 95 printable characters and the newline: the configurations' vocabulary of 96.
        var state: UInt64 = 7
        let characters = Array(UInt8(32)...UInt8(126)) + [10]
        let length = config.batchSize * config.seqLen * (steps + 2) * 2
        let text = (0..<length).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return characters[Int(state >> 33) % characters.count]
        }
        let dataset = directory.appendingPathComponent("random.txt")
        try Data(text).write(to: dataset)
        let worker = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rnnd-worker").path
        if !json { print("config  ranks  workers/rank   step ms   compute ms   communication ms   tokens/s   gradient MB") }
        for r in ranks {
            let values: [String: ConfigValue] = [
                "hidden_size": .int(spec.hiddenSize), "layers": .int(spec.layers), "embedding_size": .int(64),
                "batch_size": .int(config.batchSize), "seq_len": .int(config.seqLen), "workers": .int(workers), "dropout": .double(0),
                "max_steps": .int(steps), "eval_every": .int(0), "checkpoint_every": .int(0), "val_fraction": .double(0.01),
            ]
            let configFile = directory.appendingPathComponent("config-\(r).json")
            try RunConfig(values).json.write(to: configFile)
            let output = try LoopbackMPI.run(mpirun: mpirun, ranks: r, [
                worker, "--config", configFile.path, "--dataset", dataset.path, "--name", "random.txt",
                "--checkpoints", directory.appendingPathComponent("checkpoints-\(r)").path,
            ])
            let metrics = output.split(separator: "\n").compactMap { line -> StepMetrics? in
                guard case .event(.step(let m))? = WorkerMessage(line: line) else { return nil }
                return m
            }.dropFirst(5)
            guard !metrics.isEmpty else { throw ValidationError("rank 0 reported no steps") }
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            let step = median(metrics.map(\.stepSeconds)), communication = median(metrics.map(\.communicationSeconds))
            let row = Row(config: config.rawValue, ranks: r, workers: workers, stepMs: step * 1000, computeMs: (step - communication) * 1000,
                          communicationMs: communication * 1000, tokensPerSecond: median(metrics.map(\.tokensPerSecond)),
                          gradientMB: Double(Network(spec: spec).parameterCount * 4) / 1e6)
            if json {
                print(String(decoding: try JSONEncoder().encode(row), as: UTF8.self))
            } else {
                print(String(format: "%6@ %6d %14d %9.1f %12.1f %18.1f %10.0f %13.2f", row.config, r, workers, row.stepMs, row.computeMs,
                             row.communicationMs, row.tokensPerSecond, row.gradientMB))
            }
        }
    }
}
