import ArgumentParser
import Foundation
import RNNStore

struct StoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Time the experiment store on a file database in a temporary directory.",
        discussion: """
            Inserts metric rows in batched transactions (rows/s), reads a long series downsampled to 1,000 \
            points, and lists many runs with their best validation loss (median ms of 5 reads each).

            Example: rnn-bench store --json
            """
    )

    @Option(help: "Metric rows inserted, all in one series.")
    var rows: Int = 1_000_000

    @Option(help: "Runs listed with their best validation loss.")
    var runs: Int = 10_000

    @Option(help: "Rows per transaction.")
    var batch: Int = 1000

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard rows >= 1000, runs >= 1, batch >= 1 else { throw ValidationError("--rows must be at least 1000, --runs and --batch at least 1") }
    }

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bench-store-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(path: directory.appendingPathComponent("rnnd.sqlite").path)
        let dataset = try store.addDataset(sha256: String(repeating: "0", count: 64), name: "bench", kind: .text, size: 0, path: "datasets/0")
        func newRun(_ i: Int) throws -> Int64 {
            try store.createRun(NewRun(name: "run-\(i)", workers: 2, seed: Int64(i), datasetID: dataset.id, config: "{}",
                                       hyperparameters: ["hidden_size": .number(Double(64 << (i % 4))), "cell": .text("lstm")])).id
        }

        // Inserts: one long series, as a run reports train_loss every step.
        let series = try newRun(0)
        var rng = SystemRandomNumberGenerator()
        let start = Date()
        var step = 0
        while step < rows {
            let n = min(batch, rows - step)
            try store.recordMetrics((step..<(step + n)).map {
                MetricPoint(runID: series, name: "train_loss", step: $0, value: Double.random(in: 0..<4, using: &rng), wallTime: Double($0))
            })
            step += n
        }
        let insertSeconds = Date().timeIntervalSince(start)

        func medianMilliseconds(_ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<5 {
                let t0 = Date()
                try body()
                times.append(Date().timeIntervalSince(t0) * 1000)
            }
            return times.sorted()[2]
        }
        let seriesMs = try medianMilliseconds { _ = try store.series(runID: series, name: "train_loss", maxPoints: 1000) }

        // Listing: many runs, each with a val_loss series (so a summary).
        var points: [MetricPoint] = []
        for i in 1..<runs {
            let id = try newRun(i)
            points += (1...3).map { MetricPoint(runID: id, name: "val_loss", step: $0 * 100, value: Double.random(in: 1..<3, using: &rng), wallTime: 0) }
            if points.count >= 3000 { try store.recordMetrics(points); points.removeAll() }
        }
        try store.recordMetrics(points)
        let listMs = try medianMilliseconds { _ = try store.listRuns(sort: ["best.val_loss"], limit: runs) }

        // The trainer's side of recording: MetricWriter.record appends to a buffer and returns; the writes
        // happen on the writer's own queue. Measured as the calling thread's time per point.
        let writer = MetricWriter(store: store)
        let recorded = min(rows, 200_000)
        let recordStart = Date()
        for i in 0..<recorded {
            writer.record([MetricPoint(runID: series, name: "grad_norm", step: i, value: 1, wallTime: 0)])
        }
        let recordNanoseconds = Date().timeIntervalSince(recordStart) / Double(recorded) * 1e9
        try writer.flush()

        let insertRate = Double(rows) / insertSeconds
        if json {
            print(String(format: #"{"insert_rows_per_s":%.0f,"series_ms":%.2f,"list_ms":%.2f,"record_ns_per_point":%.0f,"rows":%d,"runs":%d,"batch":%d}"#,
                         insertRate, seriesMs, listMs, recordNanoseconds, rows, runs, batch))
        } else {
            print(String(format: "insert   %10.0f rows/s   (%d rows, %d per transaction; target ≥ 300,000)", insertRate, rows, batch))
            print(String(format: "series   %10.2f ms       (%d points downsampled to ≤ 1,000; target < 50)", seriesMs, rows))
            print(String(format: "list     %10.2f ms       (%d runs with best val_loss; target < 50)", listMs, runs))
            print(String(format: "record   %10.0f ns/point (the training thread's cost of MetricWriter.record)", recordNanoseconds))
        }
    }
}
