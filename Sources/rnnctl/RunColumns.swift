import ArgumentParser
import Foundation
import RNNAPI

/// The columns a run table can show, by name.
enum RunColumns {
    static let all: [String: @Sendable (RunInfo) -> String] = [
        "id": { String($0.id) }, "name": { $0.name }, "state": { Terminal.state($0.state) }, "step": { Format.progress($0) },
        "epoch": { $0.epoch.map(String.init) ?? "-" }, "train_loss": { Format.number($0.trainLoss) },
        "val_loss": { Format.number($0.valLoss) }, "best_val_loss": { Format.number($0.bestValLoss) },
        "tokens_per_s": { Format.rate($0.tokensPerSecond) }, "eta": { Format.duration($0.etaSeconds) },
        "priority": { String($0.priority) }, "workers": { String($0.workers) }, "restarts": { String($0.restarts) },
        "submitted": { Format.time($0.submittedAt) }, "user": { $0.submittedBy.map(Format.user) ?? "-" },
        "tags": { $0.tags.joined(separator: ",") }, "note": { ($0.note ?? "").replacingOccurrences(of: "\n", with: " ") }, "dataset": { String($0.dataset.prefix(12)) },
    ]

    static func table(_ runs: [RunInfo], format: String?, defaults: [String]) throws -> Table {
        let columns = format.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? defaults
        if let bad = columns.first(where: { all[$0] == nil }) {
            throw CLIError.usage("unknown column \(bad) (columns: \(all.keys.sorted().joined(separator: ", ")))")
        }
        return Table(columns: columns, rows: runs.map { run in columns.map { all[$0]!(run) } })
    }
}
