import RNNAPI
import RNNStore

/// /metrics in Prometheus's text exposition format: runs by state, the queue, each training run's rate
/// and last loss, the database's size.
enum PrometheusText {
    static func render(store: Store, hub: EventHub) throws -> String {
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        let counts = try store.runCounts()
        family("rnnd_runs", "Runs by state.", RunState.allCases.map { ("{state=\"\($0.rawValue)\"}", Double(counts[$0] ?? 0)) })
        family("rnnd_queue_length", "Runs waiting to train.", [("", Double(counts[.queued] ?? 0))])
        let live = hub.allProgress.sorted { $0.key < $1.key }
        family("rnnd_run_step", "The last step of each training run.", live.map { ("{run=\"\($0.key)\"}", Double($0.value.step)) })
        family("rnnd_run_steps_per_second", "Training steps per second of each training run.",
               live.compactMap { id, p in p.stepsPerSecond.map { ("{run=\"\(id)\"}", $0) } })
        family("rnnd_run_tokens_per_second", "Tokens (or examples) per second of each training run.",
               live.compactMap { id, p in p.tokensPerSecond.map { ("{run=\"\(id)\"}", $0) } })
        family("rnnd_run_train_loss", "The last training loss of each training run.",
               live.compactMap { id, p in p.trainLoss.map { ("{run=\"\(id)\"}", $0) } })
        family("rnnd_database_bytes", "Size of the database file and its write-ahead log.", [("", Double(store.databaseBytes))])
        return out
    }
}
