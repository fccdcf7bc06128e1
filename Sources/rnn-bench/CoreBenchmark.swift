import ArgumentParser
import Foundation
import RNNCore

struct CoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Time whole training steps (forward, backward, clip, Adam) of the numeric core.",
        discussion: """
            Prints median step time, tokens per second and GFLOP/s per configuration, and this machine's \
            single-thread sgemm rate measured in the same run.

            Without --workers it times the numeric core alone (one replica); with --workers W it times the \
            real data-parallel trainer step (W replicas on W queues, all-reduce, update) and reports the \
            share of the step spent in the all-reduce and the update.

            Examples: rnn-bench core --config M --json
                      rnn-bench core --config M --workers 2
            """
    )

    @Option(help: "The configuration to time (S, M, L or TS); all of them when omitted.")
    var config: BenchmarkConfig?

    @Option(help: "The number of threads BLAS may use inside one call.")
    var threads: Int = 1

    @Option(help: "Time the data-parallel trainer with this many replicas instead of the bare core step.")
    var workers: Int?

    @Option(help: "The number of timed steps per configuration, after 3 warm-up steps (default: about a second's worth, at least 20: S 100, M 20, L 20, TS 500).")
    var steps: Int?

    @Flag(help: "Print one JSON object per line instead of a table.")
    var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        // OpenBLAS fell back to its generic kernels on a CPU it does not know (BLAS.recommendedCoreType): start again
        // with the right ones named. Never loops: the variable is set from then on.
        if getenv("OPENBLAS_CORETYPE") == nil, let core = BLAS.recommendedCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        var rows: [Row] = []
        BLAS.setThreads(1)
        rows.append(Row(config: "sgemm", blasThreads: 1, stepMilliseconds: nil, tokensPerSecond: nil,
                        gflops: SgemmProbe.singleThreadGFLOPS()))
        BLAS.setThreads(threads)
        for c in config.map({ [$0] }) ?? BenchmarkConfig.allCases {
            var row = Row(config: c.rawValue, blasThreads: threads, stepMilliseconds: nil, tokensPerSecond: nil, gflops: 0)
            let seconds: Double
            if let workers {
                let measured = try TrainerStepTimer(config: c, workers: workers).measure(steps: steps ?? c.defaultTimedSteps)
                seconds = measured.stepSeconds
                row.workers = workers
                row.reduceShare = measured.reduceShare
            } else {
                seconds = StepTimer(config: c).medianStepSeconds(steps: steps ?? c.defaultTimedSteps)
            }
            row.stepMilliseconds = seconds * 1e3
            row.tokensPerSecond = Double(c.batchSize * c.seqLen) / seconds
            row.gflops = c.flopsPerStep / seconds / 1e9
            rows.append(row)
        }
        if json {
            for row in rows { print(row.json) }
        } else {
            print(Row.table(rows))
        }
    }
}

/// One line of the report.
struct Row {
    var config: String
    var workers = 1
    var blasThreads: Int
    var stepMilliseconds: Double?
    var tokensPerSecond: Double?
    var gflops: Double
    /// Trainer runs: the median share of a step spent in the all-reduce and the optimizer update.
    var reduceShare: Double?

    var json: String {
        var fields: [String] = ["\"config\":\"\(config)\"", "\"workers\":\(workers)", "\"blas_threads\":\(blasThreads)"]
        if config == "sgemm" { fields.append("\"blas_core\":\"\(BLAS.coreName)\"") }
        if let stepMilliseconds { fields.append("\"step_ms\":\(rounded(stepMilliseconds, 3))") }
        if let tokensPerSecond { fields.append("\"tokens_per_s\":\(rounded(tokensPerSecond, 0))") }
        fields.append("\"gflops\":\(rounded(gflops, 2))")
        if let reduceShare { fields.append("\"allreduce_update_pct\":\(rounded(reduceShare * 100, 2))") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func table(_ rows: [Row]) -> String {
        var lines = ["config  workers  blas_threads  step_ms   tokens_per_s  gflops  allreduce+update"]
        for r in rows {
            lines.append(
                r.config.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(r.workers).padding(toLength: 9, withPad: " ", startingAt: 0)
                + String(r.blasThreads).padding(toLength: 14, withPad: " ", startingAt: 0)
                + (r.stepMilliseconds.map { String(format: "%.2f", $0) } ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                + (r.tokensPerSecond.map { String(format: "%.0f", $0) } ?? "-").padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: "%.1f", r.gflops).padding(toLength: 8, withPad: " ", startingAt: 0)
                + (r.reduceShare.map { String(format: "%.1f%%", $0 * 100) } ?? "-"))
        }
        lines.append("(OpenBLAS kernels: \(BLAS.coreName))")
        return lines.joined(separator: "\n")
    }

    private func rounded(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}

/// Whole training steps of one configuration: zero gradients, forward, backward, clip at 5, Adam (lr 2e-3).
struct StepTimer {
    let config: BenchmarkConfig

    func medianStepSeconds(steps: Int) -> Double {
        let network = Network(spec: config.spec)
        let parameters = Buffer<Float>(count: network.parameterCount)
        let gradients = Buffer<Float>(count: network.parameterCount)
        network.initializeParameters(parameters.buffer, seed: 1)
        let workspace = Workspace<Float>(spec: config.spec, batchCapacity: config.batchSize, seqCapacity: config.seqLen)
        let optimizer = Optimizer<Float>(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), parameterCount: network.parameterCount)
        let batch = config.randomBatch(seed: 2)
        func step() {
            gradients.zero()
            let loss = network.forward(parameters: parameters.pointer, batch: batch, workspace: workspace, dropout: DropoutSource(seed: 3, step: optimizer.step))
            network.backward(parameters: parameters.pointer, gradients: gradients.pointer, batch: batch, workspace: workspace, lossScale: Float(1 / loss.count))
            if case .finite = GradientClipping.clip(gradients.pointer, count: gradients.count, maxNorm: 5) {
                optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, range: 0..<parameters.count, lr: 2e-3)
                optimizer.finishStep()
            }
        }
        for _ in 0..<3 { step() }
        var times: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}

/// The machine's single-thread sgemm rate on a square 512 × 512 × 512 product, best of 30 (about 50 ms:
/// long enough that a busy neighbour on the shared machine rarely spoils every try).
enum SgemmProbe {
    static func singleThreadGFLOPS() -> Double {
        let n = 512
        let a = Buffer<Float>(count: n * n), b = Buffer<Float>(count: n * n), c = Buffer<Float>(count: n * n)
        var rng = Xoshiro256(seed: 9)
        for i in 0..<(n * n) { a[i] = Float(rng.normal()); b[i] = Float(rng.normal()) }
        var best = Double.infinity
        for _ in 0..<30 {
            let start = DispatchTime.now().uptimeNanoseconds
            Float.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a.pointer, lda: n,
                       b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
