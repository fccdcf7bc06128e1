import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNStore

struct WebViewBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webview",
        abstract: "Time the web view in a real browser on a large store: the runs page and a 10-run comparison of long series.",
        discussion: """
            Fills a temporary store with --runs runs (each with a val_loss series) and --series runs of --points \
            train_loss points each, starts rnnd on it with its loopback listener, logs in with a one-time link and \
            times, in Debian's chromium driven by Playwright (Tests/WebView/webview_timing.py, the venv of \
            deploy/ui-tests.sh), each page from navigation until its content is drawn: median of 5 loads.

            Example: rnn-bench webview --json
            """
    )

    @Option(help: "Runs in the store (the runs page lists them 50 at a time).") var runs = 10_000
    @Option(help: "Runs with a long train_loss series, compared on one page.") var series = 10
    @Option(help: "Points of each long series.") var points = 1_000_000
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard runs >= series, series >= 1, series <= 10, points >= 1000 else {
            throw ValidationError("--series must be 1…10 and at most --runs, --points at least 1000")
        }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let python = root.appendingPathComponent(".build/ui-venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ValidationError("needs Playwright: run deploy/ui-tests.sh once (it makes .build/ui-venv)")
        }
        let directory = URL(fileURLWithPath: "/tmp/rnn-bench-webview-\(getpid())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("state"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let fillStart = Date()
        try fill(Store(path: directory.appendingPathComponent("state/rnnd.sqlite").path))
        let fillSeconds = Date().timeIntervalSince(fillStart)

        let socket = directory.appendingPathComponent("rnnd.sock").path
        let port = 20_000 + Int(getpid() % 20_000)
        let rnnd = Process()
        rnnd.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rnnd")
        rnnd.arguments = ["--state-dir", directory.appendingPathComponent("state").path, "--socket", socket,
                          "--tcp-listen", "127.0.0.1:\(port)", "--log-level", "warning"]
        try rnnd.run()
        defer { rnnd.terminate(); rnnd.waitUntilExit() }
        let client = RNNClient(endpoint: .unixSocket(path: socket))
        var login: WebLogin?
        for _ in 0..<200 {
            if let answer = try? await client.webLogin() { login = answer; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let login else { throw ValidationError("rnnd did not start") }

        let timing = Process()
        timing.executableURL = URL(fileURLWithPath: python)
        timing.arguments = [root.appendingPathComponent("Tests/WebView/webview_timing.py").path, login.url,
                            (1...series).map(String.init).joined(separator: ",")]
        let out = Pipe()
        timing.standardOutput = out
        try timing.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        timing.waitUntilExit()
        guard timing.terminationStatus == 0, var result = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("the browser timing failed: \(String(decoding: data, as: UTF8.self))")
        }
        result["runs"] = runs
        result["series"] = series
        result["points_per_series"] = points
        result["fill_seconds"] = fillSeconds
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("store: \(runs) runs, \(series) × \(points) train_loss points (filled in \(String(format: "%.0f", fillSeconds)) s)")
            for key in ["runs_page_ms", "runs_sorted_by_best_val_loss_ms", "compare_ms"] {
                print(String(format: "%-34@ median %6.0f ms", key as NSString, (result[key] as? Double) ?? .nan))
            }
        }
    }

    /// Synthetic runs straight into the store: the first `series` with long train_loss histories (a noisy
    /// decay with spikes) and a val_loss every 1,000 steps; the rest with three val_loss points each.
    func fill(_ store: Store) throws {
        let dataset = try store.addDataset(sha256: String(repeating: "0", count: 64), name: "bench.txt", kind: .text, size: 0, path: "datasets/0")
        var rng = SystemRandomNumberGenerator()
        var pending: [MetricPoint] = []
        func flush(_ force: Bool = false) throws {
            if pending.count >= 20_000 || (force && !pending.isEmpty) { try store.recordMetrics(pending); pending.removeAll(keepingCapacity: true) }
        }
        for i in 1...runs {
            let hidden = 64 << (i % 4)
            let run = try store.createRun(NewRun(name: "run-\(i)", workers: 2, seed: Int64(i), datasetID: dataset.id, config: #"{"hidden_size": \#(hidden), "lr": 0.002}"#,
                                                 hyperparameters: ["hidden_size": .number(Double(hidden)), "cell": .text("lstm"), "lr": .number(0.002)]))
            // Finished runs: rnnd must not try to train them.
            _ = try store.transition(runID: run.id, to: .running, cause: "benchmark")
            _ = try store.transition(runID: run.id, to: .completed, cause: "benchmark")
            if i <= series {
                for step in 1...points {
                    let decay = 3 * exp(-Double(step) / Double(points / 4)) + 1 + 0.1 * Double(i)
                    let spike = step % 9973 == 0 ? 2.0 : 0
                    pending.append(MetricPoint(runID: run.id, name: "train_loss", step: step, value: decay + Double.random(in: -0.1...0.1, using: &rng) + spike, wallTime: Double(step)))
                    if step % 1000 == 0 { pending.append(MetricPoint(runID: run.id, name: "val_loss", step: step, value: decay + 0.05, wallTime: Double(step))) }
                    try flush()
                }
            } else {
                for step in 1...3 { pending.append(MetricPoint(runID: run.id, name: "val_loss", step: step * 100, value: Double.random(in: 1..<3, using: &rng), wallTime: 0)) }
                try flush()
            }
        }
        try flush(true)
    }
}
