import GRDB
import RNNAPI

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
    public var summaries: [[MetricSummaryInfo]]
}

extension Store {
    /// Runs matching `filter` (the `RunFilter` language; nil: all), sorted by `sort` keys (default: newest
    /// first), `limit` from `offset`.
    /// The hyperparameter and metric names of the runs in the store (nil while it has no run: nothing to check).
    func knownNames() throws -> RunFilter.KnownNames? {
        try wrap("reading the known names") {
            try writer.read { db in
                let hyperparameters = try String.fetchSet(db, sql: "SELECT DISTINCT key FROM hyperparameter")
                guard !hyperparameters.isEmpty else { return nil }
                return RunFilter.KnownNames(hyperparameters: hyperparameters, metrics: try String.fetchSet(db, sql: "SELECT name FROM metric_name"))
            }
        }
    }

    public func listRuns(filter: String? = nil, sort: [String] = ["-submitted"], limit: Int = 50, offset: Int = 0) throws -> [RunListing] {
        // The names are read only when the query can name a hyperparameter or a metric (the plain listing does not).
        let namesMatter = filter != nil || sort.contains { key in
            switch RunFilter.Field(key.hasPrefix("-") ? String(key.dropFirst()) : key) {
            case .hyperparameter?, .summary?: true
            default: false
            }
        }
        let known = namesMatter ? try knownNames() : nil
        let where_ = try filter.map { try RunFilter($0, known: known) }
        guard limit >= 0, offset >= 0 else { throw StoreError(.badFilter, "limit and offset must not be negative") }
        // Each sort value is computed once per row as a column, then ordered by its alias.
        var columns: [String] = [], orders: [String] = [], sortArguments: [DatabaseValue] = []
        for (i, key) in (sort.isEmpty ? ["-submitted"] : sort).enumerated() {
            let (sql, arguments, descending) = try RunFilter.sortExpression(key, known: known)
            columns.append("\(sql) AS sort\(i)")
            orders.append("sort\(i) IS NULL, sort\(i) \(descending ? "DESC" : "ASC")")
            sortArguments += arguments
        }
        let descendingIDs = sort.first?.hasPrefix("-") ?? true
        let sql = """
            SELECT \(Store.runColumns), (SELECT best_value FROM metric_summary WHERE run_id = run.id AND name = 'val_loss') AS best_val_loss,
                   \(columns.joined(separator: ", "))
            FROM run \(where_.map { "WHERE \($0.sql)" } ?? "")
            ORDER BY \(orders.joined(separator: ", ")), run.id \(descendingIDs ? "DESC" : "ASC") LIMIT ? OFFSET ?
            """
        let arguments = StatementArguments(sortArguments + (where_?.arguments ?? []) + [limit.databaseValue, offset.databaseValue])
        return try wrap("listing runs") {
            try writer.read { db in
                // A cursor decodes each row in place (fetchAll would copy every row into an object first).
                var listings: [RunListing] = []
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    listings.append(RunListing(run: try Store.runRecord(row, tags: []), bestValLoss: row[Store.runColumnCount]))
                }
                let tags = try tagsByRun(db, ids: listings.map(\.run.id))
                if !tags.isEmpty {
                    for i in listings.indices { listings[i].run.tags = tags[listings[i].run.id] ?? [] }
                }
                return listings
            }
        }
    }

    /// Each run's tags, sorted, for the runs of `ids`: one query.
    func tagsByRun(_ db: Database, ids: [Int64]) throws -> [Int64: [String]] {
        guard !ids.isEmpty else { return [:] }
        var out: [Int64: [String]] = [:]
        let wanted = Set(ids)
        // A large page reads every tag once; a small one asks for its runs only.
        let rows = ids.count > 200
            ? try Row.fetchAll(db, sql: "SELECT run_id, tag FROM run_tag ORDER BY tag")
            : try Row.fetchAll(db, sql: "SELECT run_id, tag FROM run_tag WHERE run_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ","))) ORDER BY tag",
                               arguments: StatementArguments(ids))
        for row in rows where wanted.contains(row[0]) { out[row[0], default: []].append(row[1]) }
        return out
    }

    /// The hyperparameters of a run, typed.
    public func hyperparameters(runID: Int64) throws -> [String: HyperValue] {
        try writer.read { db in
            var out: [String: HyperValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value_num, value_text FROM hyperparameter WHERE run_id = ?", arguments: [runID]) {
                if let n = row["value_num"] as Double? { out[row["key"]] = .number(n) } else { out[row["key"]] = .text(row["value_text"]) }
            }
            return out
        }
    }

    /// Several runs side by side.
    public func compare(runIDs: [Int64]) throws -> RunComparison {
        var runs: [RunRecord] = [], hypers: [[String: HyperValue]] = [], summaries: [[MetricSummaryInfo]] = []
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
