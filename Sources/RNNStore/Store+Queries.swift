import GRDB

/// A page of runs with the summary the listing shows.
public struct RunListing: Sendable, Equatable {
    public var run: RunRecord
    /// best.val_loss, when the run has validated.
    public var bestValLoss: Double?
}

/// Several runs side by side: the hyperparameters whose values differ, and every metric summary.
public struct RunComparison: Sendable, Equatable {
    public var runs: [RunRecord]
    /// key → the value of each run, in `runs` order (nil where a run lacks the key).
    public var differences: [String: [HyperValue?]]
    public var summaries: [[MetricSummary]]
}

extension Store {
    /// Runs matching `filter` (the `RunFilter` language; nil: all), sorted by `sort` keys (default: newest
    /// first), `limit` from `offset`.
    public func listRuns(filter: String? = nil, sort: [String] = ["-submitted"], limit: Int = 50, offset: Int = 0) throws -> [RunListing] {
        let where_ = try filter.map { try RunFilter($0) }
        var orders: [String] = [], orderArguments: [DatabaseValue] = []
        for key in sort.isEmpty ? ["-submitted"] : sort {
            let (sql, arguments) = try RunFilter.orderSQL(key)
            orders.append(sql)
            orderArguments += arguments
        }
        guard limit >= 0, offset >= 0 else { throw StoreError(.badFilter, "limit and offset must not be negative") }
        let sql = """
            SELECT run.*, (SELECT best_value FROM metric_summary WHERE run_id = run.id AND name = 'val_loss') AS best_val_loss
            FROM run \(where_.map { "WHERE \($0.sql)" } ?? "")
            ORDER BY \(orders.joined(separator: ", ")) LIMIT ? OFFSET ?
            """
        let arguments = StatementArguments((where_?.arguments ?? []) + orderArguments + [limit.databaseValue, offset.databaseValue])
        return try wrap("listing runs") {
            try pool.read { db in
                let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
                let tags = try tagsByRun(db, ids: rows.map { $0["id"] as Int64 })
                return rows.map { row in
                    let id: Int64 = row["id"]
                    var record = RunRecord(id: id, name: row["name"], state: RunState(rawValue: row["state"]) ?? .failed, priority: row["priority"],
                                           submittedAt: row["submitted_at"], startedAt: row["started_at"], finishedAt: row["finished_at"],
                                           submittedBy: row["submitted_by"], workers: row["workers"], seed: row["seed"], datasetID: row["dataset_id"],
                                           restarts: row["restarts"], failure: row["failure"], parentRunID: row["parent_run_id"],
                                           parentCheckpointStep: row["parent_checkpoint_step"], config: row["config"], tags: [])
                    record.tags = tags[id] ?? []
                    return RunListing(run: record, bestValLoss: row["best_val_loss"])
                }
            }
        }
    }

    private func tagsByRun(_ db: Database, ids: [Int64]) throws -> [Int64: [String]] {
        guard !ids.isEmpty else { return [:] }
        var out: [Int64: [String]] = [:]
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        for row in try Row.fetchAll(db, sql: "SELECT run_id, tag FROM run_tag WHERE run_id IN (\(placeholders)) ORDER BY tag",
                                    arguments: StatementArguments(ids)) {
            out[row["run_id"], default: []].append(row["tag"])
        }
        return out
    }

    /// The hyperparameters of a run, typed.
    public func hyperparameters(runID: Int64) throws -> [String: HyperValue] {
        try pool.read { db in
            var out: [String: HyperValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value_num, value_text FROM hyperparameter WHERE run_id = ?", arguments: [runID]) {
                if let n = row["value_num"] as Double? { out[row["key"]] = .number(n) } else { out[row["key"]] = .text(row["value_text"]) }
            }
            return out
        }
    }

    /// Several runs side by side.
    public func compare(runIDs: [Int64]) throws -> RunComparison {
        var runs: [RunRecord] = [], hypers: [[String: HyperValue]] = [], summaries: [[MetricSummary]] = []
        for id in runIDs {
            guard let run = try run(id: id) else { throw StoreError(.notFound, "no run \(id)") }
            runs.append(run)
            hypers.append(try hyperparameters(runID: id))
            summaries.append(try self.summaries(runID: id))
        }
        var differences: [String: [HyperValue?]] = [:]
        for key in Set(hypers.flatMap(\.keys)) {
            let values = hypers.map { $0[key] }
            if Set(values.map { "\(String(describing: $0))" }).count > 1 { differences[key] = values }
        }
        return RunComparison(runs: runs, differences: differences, summaries: summaries)
    }
}
