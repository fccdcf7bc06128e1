import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
#if canImport(Glibc)
import Glibc
#endif

/// The API's latency while training saturates the machine: starts the rnnd built next to this binary on a
/// temporary state directory, measures status requests idle, then while a run trains on every core.
struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration.benchmark("api", "Status-request latency (p50, p99) of a real rnnd, idle and while it trains on every core.", example: "rnn-bench api --requests 2000")
    @Option(help: "Status requests per phase.") var requests = 2000
    @Option(help: "Hidden size of the training run (larger: longer steps).") var hiddenSize = 512
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let directory = URL(fileURLWithPath: "/tmp/rnn-bench-api-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("rnnd.sock").path
        let rnnd = Process()
        rnnd.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rnnd")
        rnnd.arguments = ["--state-dir", directory.appendingPathComponent("state").path, "--socket", socket, "--log-level", "warning"]
        try rnnd.run()
        defer {
            kill(rnnd.processIdentifier, SIGTERM)
            rnnd.waitUntilExit()
        }
        let client = RNNClient(endpoint: .unixSocket(path: socket))
        var ready = false
        for _ in 0..<300 where !ready {
            ready = (try? await client.health()) != nil
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else { throw ValidationError("rnnd did not start") }

        let text = directory.appendingPathComponent("corpus.txt")
        let licences = ["GPL-2", "LGPL-2.1", "GPL-3"].compactMap { try? String(contentsOfFile: "/usr/share/common-licenses/\($0)", encoding: .utf8) }
        try Data(licences.joined().utf8).write(to: text)
        let dataset = try await client.uploadDataset(file: text.path, name: "corpus.txt", kind: .text)
        // Something to show in the run list and its detail while measuring.
        let first = try await client.submit(SubmitRequest(name: "warm-up", dataset: dataset.sha256, config: [
            "hidden_size": .int(32), "layers": .int(1), "max_steps": .int(20), "val_fraction": .double(0.05)]))
        while try await client.run(first.id).run.state != .completed { try await Task.sleep(for: .milliseconds(50)) }

        let idle = try await measure(client, runID: first.id)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let training = try await client.submit(SubmitRequest(name: "load", dataset: dataset.sha256, config: [
            "hidden_size": .int(hiddenSize), "layers": .int(2), "seq_len": .int(64), "batch_size": .int(32), "workers": .int(cores),
            "max_steps": .int(1_000_000), "eval_every": .int(0), "checkpoint_every": .int(0), "val_fraction": .double(0.05)]))
        while try await client.run(training.id).run.step < 3 { try await Task.sleep(for: .milliseconds(50)) }
        let loaded = try await measure(client, runID: training.id)
        let step = try await client.run(training.id).run
        _ = try await client.cancel(training.id)

        let rows: [(String, [Double])] = [("idle", idle), ("training on \(cores) cores", loaded)]
        if json {
            let object = Dictionary(uniqueKeysWithValues: zip(["idle", "training"], rows.map { ["p50_ms": percentile($0.1, 0.5), "p99_ms": percentile($0.1, 0.99)] }))
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("status requests (GET /v1/runs/{id}, GET /v1/runs, GET /healthz in turn), \(requests) per phase")
            for (name, samples) in rows {
                print("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + String(format: "p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms", percentile(samples, 0.5), percentile(samples, 0.99), samples.max() ?? 0))
            }
            print(String(format: "  training run: %.0f tokens/s at step %d (hidden %d, 2 layers, %d workers)", step.tokensPerSecond ?? 0, step.step, hiddenSize, cores))
        }
    }

    func measure(_ client: RNNClient, runID: Int64) async throws -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(requests)
        for i in 0..<requests {
            let start = DispatchTime.now().uptimeNanoseconds
            switch i % 3 {
            case 0: _ = try await client.run(runID)
            case 1: _ = try await client.runs(limit: 20)
            default: _ = try await client.health()
            }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return samples
    }

    func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}
