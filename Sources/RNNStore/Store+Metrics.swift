import GRDB
import RNNAPI

extension Store {
    static let rollupLevels = [1, 2, 3]
    static func rollupWidth(_ level: Int) -> Int { 1 << (4 * level) }  // 16, 256, 4096 steps

    /// The id of a metric name, created on first use.
    func metricNameID(_ db: Database, _ name: String) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM metric_name WHERE name = ?", arguments: [name]) { return id }
        try db.execute(sql: "INSERT INTO metric_name (name) VALUES (?)", arguments: [name])
        return db.lastInsertedRowID
    }

    /// Writes a batch of metric points in one transaction and keeps the per-run summaries and rollups
    /// current. A step written again (a run replayed after a resume) replaces its row; the summary and the
    /// touched rollup buckets of that series are then recomputed from the rows rather than updated.
    public func recordMetrics(_ points: [MetricPoint]) throws {
        guard !points.isEmpty else { return }
        try wrap("recording \(points.count) metric points") {
            try writer.write { db in
                struct SeriesKey: Hashable { let runID: Int64, name: String }
                var series: [SeriesKey: [MetricPoint]] = [:]
                for p in points { series[SeriesKey(runID: p.runID, name: p.name), default: []].append(p) }
                for batch in series.values {
                    let runID = batch[0].runID, nameID = try metricNameID(db, batch[0].name)
                    try insertPoints(db, runID: runID, nameID: nameID, batch)
                    let replay = try updateSummary(db, batch)
                    try updateRollups(db, runID: runID, nameID: nameID, batch: batch, recompute: replay)
                }
            }
        }
    }

    /// Inserts (or replaces) points 64 rows per statement: far fewer statement executions than one per row.
    private func insertPoints(_ db: Database, runID: Int64, nameID: Int64, _ batch: [MetricPoint]) throws {
        let rowsPerStatement = 64
        func statement(_ rows: Int) throws -> Statement {
            let values = Array(repeating: "(?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
            return try db.cachedStatement(sql: "INSERT OR REPLACE INTO metric (run_id, name_id, step, value, wall_time) VALUES \(values)")
        }
        var start = 0
        while start < batch.count {
            let end = min(start + rowsPerStatement, batch.count)
            var arguments: [DatabaseValue] = []
            arguments.reserveCapacity((end - start) * 5)
            for p in batch[start..<end] {
                arguments += [runID.databaseValue, nameID.databaseValue, p.step.databaseValue, p.value.databaseValue, p.wallTime.databaseValue]
            }
            try statement(end - start).execute(arguments: StatementArguments(arguments))
            start = end
        }
    }

    /// Returns whether the batch replays steps already recorded (then everything was recomputed).
    private func updateSummary(_ db: Database, _ batch: [MetricPoint]) throws -> Bool {
        let runID = batch[0].runID, name = batch[0].name
        let higher = Store.higherIsBetter(name)
        let existing = try Row.fetchOne(db, sql: "SELECT * FROM metric_summary WHERE run_id = ? AND name = ?", arguments: [runID, name])
        let minStep = batch.map(\.step).min()!
        if let existing, minStep <= (existing["latest_step"] as Int) {
            try recomputeSummary(db, runID: runID, name: name, higher: higher)
            return true
        }
        var latest = batch.max { $0.step < $1.step }!
        var best = batch.min { higher ? $0.value > $1.value : $0.value < $1.value }!
        var count = Set(batch.map(\.step)).count
        var low = batch.map(\.value).min()!, high = batch.map(\.value).max()!
        if let existing {
            if let previous = existing["min_value"] as Double? { low = min(low, previous) }
            if let previous = existing["max_value"] as Double? { high = max(high, previous) }
            let previousBest: Double = existing["best_value"]
            if higher ? previousBest >= best.value : previousBest <= best.value {
                best = MetricPoint(runID: runID, name: name, step: existing["best_step"], value: previousBest, wallTime: 0)
            }
            count += existing["count"] as Int
            if (existing["latest_step"] as Int) > latest.step {
                latest = MetricPoint(runID: runID, name: name, step: existing["latest_step"], value: existing["latest_value"], wallTime: 0)
            }
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO metric_summary (run_id, name, latest_step, latest_value, best_step, best_value, count, min_value, max_value)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [runID, name, latest.step, latest.value, best.step, best.value, count, low, high])
        return false
    }

    private func recomputeSummary(_ db: Database, runID: Int64, name: String, higher: Bool) throws {
        let nameID = try metricNameID(db, name)
        try db.execute(sql: """
            INSERT OR REPLACE INTO metric_summary (run_id, name, latest_step, latest_value, best_step, best_value, count, min_value, max_value)
            SELECT ?1, ?2,
                   (SELECT step FROM metric WHERE run_id = ?1 AND name_id = ?3 ORDER BY step DESC LIMIT 1),
                   (SELECT value FROM metric WHERE run_id = ?1 AND name_id = ?3 ORDER BY step DESC LIMIT 1),
                   (SELECT step FROM metric WHERE run_id = ?1 AND name_id = ?3 ORDER BY value \(higher ? "DESC" : "ASC"), step LIMIT 1),
                   (SELECT value FROM metric WHERE run_id = ?1 AND name_id = ?3 ORDER BY value \(higher ? "DESC" : "ASC"), step LIMIT 1),
                   (SELECT count(*) FROM metric WHERE run_id = ?1 AND name_id = ?3),
                   (SELECT min(value) FROM metric WHERE run_id = ?1 AND name_id = ?3),
                   (SELECT max(value) FROM metric WHERE run_id = ?1 AND name_id = ?3)
            """, arguments: [runID, name, nameID])
    }

    /// Merges the batch into each level's buckets (min and max with their steps); after a replay, the
    /// touched buckets are rebuilt from the rows.
    private func updateRollups(_ db: Database, runID: Int64, nameID: Int64, batch: [MetricPoint], recompute: Bool) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO metric_rollup (run_id, name_id, level, bucket, min_step, min_value, max_step, max_value)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, name_id, level, bucket) DO UPDATE SET
                min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step ELSE min_step END,
                min_value = min(min_value, excluded.min_value),
                max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step ELSE max_step END,
                max_value = max(max_value, excluded.max_value)
            """)
        for level in Store.rollupLevels {
            let width = Store.rollupWidth(level)
            var buckets: [Int: (minStep: Int, minValue: Double, maxStep: Int, maxValue: Double)] = [:]
            var source = batch.map { (step: $0.step, value: $0.value) }
            if recompute {
                let lo = (batch.map(\.step).min()! / width) * width, hi = (batch.map(\.step).max()! / width + 1) * width - 1
                try db.execute(sql: "DELETE FROM metric_rollup WHERE run_id = ? AND name_id = ? AND level = ? AND bucket BETWEEN ? AND ?",
                               arguments: [runID, nameID, level, lo / width, hi / width])
                source = try Row.fetchAll(db, sql: "SELECT step, value FROM metric WHERE run_id = ? AND name_id = ? AND step BETWEEN ? AND ?",
                                          arguments: [runID, nameID, lo, hi]).map { (step: $0["step"], value: $0["value"]) }
            }
            for p in source {
                let b = p.step >= 0 ? p.step / width : (p.step - width + 1) / width
                if var e = buckets[b] {
                    if p.value < e.minValue { e.minValue = p.value; e.minStep = p.step }
                    if p.value > e.maxValue { e.maxValue = p.value; e.maxStep = p.step }
                    buckets[b] = e
                } else {
                    buckets[b] = (p.step, p.value, p.step, p.value)
                }
            }
            for (b, e) in buckets {
                try upsert.execute(arguments: [runID, nameID, level, b, e.minStep, e.minValue, e.maxStep, e.maxValue])
            }
        }
    }

    /// The latest and best values of every metric of a run.
    /// Whether a larger value of the metric is the better one: names ending in `accuracy` or `_per_s`.
    /// Summaries keep the lowest value as the best of every other metric.
    static func higherIsBetter(_ name: String) -> Bool { name.hasSuffix("accuracy") || name.hasSuffix("_per_s") }

    /// Latest, best, minimum and maximum value of each metric of a run.
    public func summaries(runID: Int64) throws -> [MetricSummaryInfo] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM metric_summary WHERE run_id = ? ORDER BY name", arguments: [runID]).map(Store.summary)
        }
    }

    /// The summaries of `names` for each of `runIDs` (the runs table's metric columns), by run.
    public func summaries(runIDs: [Int64], names: [String]) throws -> [Int64: [MetricSummaryInfo]] {
        guard !runIDs.isEmpty, !names.isEmpty else { return [:] }
        return try writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM metric_summary WHERE run_id IN (\(Array(repeating: "?", count: runIDs.count).joined(separator: ",")))
                AND name IN (\(Array(repeating: "?", count: names.count).joined(separator: ","))) ORDER BY name
                """, arguments: StatementArguments(runIDs.map(\.databaseValue) + names.map(\.databaseValue)))
            return Dictionary(grouping: rows, by: { $0["run_id"] as Int64 }).mapValues { $0.map(Store.summary) }
        }
    }

    static func summary(_ row: Row) -> MetricSummaryInfo {
        MetricSummaryInfo(name: row["name"], latestStep: row["latest_step"], latestValue: row["latest_value"], bestStep: row["best_step"],
                          bestValue: row["best_value"], count: row["count"], minValue: row["min_value"], maxValue: row["max_value"])
    }

    /// A run's series for `name` over `steps` (all when nil). With `maxPoints`, a longer series is cut into
    /// maxPoints/2 buckets of equal step width and each bucket gives its minimum and its maximum (in step
    /// order), so spikes survive; long series are read from the rollups, not the points.
    public func series(runID: Int64, name: String, steps: ClosedRange<Int>? = nil, maxPoints: Int? = nil) throws -> [SeriesPointInfo] {
        let lo = steps?.lowerBound ?? Int.min, hi = steps?.upperBound ?? Int.max
        return try writer.read { db in
            guard let nameID = try Int64.fetchOne(db, sql: "SELECT id FROM metric_name WHERE name = ?", arguments: [name]) else { return [] }
            // Two single-aggregate queries: SQLite answers each from the primary key's ends (min and max in
            // one SELECT would scan the whole range).
            guard let first = try Int.fetchOne(db, sql: "SELECT min(step) FROM metric WHERE run_id = ? AND name_id = ? AND step BETWEEN ? AND ?",
                                               arguments: [runID, nameID, lo, hi]),
                  let last = try Int.fetchOne(db, sql: "SELECT max(step) FROM metric WHERE run_id = ? AND name_id = ? AND step BETWEEN ? AND ?",
                                              arguments: [runID, nameID, lo, hi]) else { return [] }
            func raw(_ a: Int, _ b: Int) throws -> [SeriesPointInfo] {
                try Row.fetchAll(db, sql: "SELECT step, value FROM metric WHERE run_id = ? AND name_id = ? AND step BETWEEN ? AND ? ORDER BY step",
                                 arguments: [runID, nameID, a, b]).map { SeriesPointInfo(step: $0["step"], value: $0["value"]) }
            }
            guard let maxPoints, maxPoints >= 2, last - first + 1 > maxPoints else { return try raw(first, last) }
            let targets = maxPoints / 2
            let span = Double(last - first + 1)
            // The coarsest rollup level that still has a bucket for every target bucket (so ~1–16 rollup
            // rows per target); when even the finest has fewer, the points themselves.
            var candidates: [SeriesPointInfo] = []
            if let level = Store.rollupLevels.reversed().first(where: { span / Double(Store.rollupWidth($0)) >= Double(targets) }) {
                let width = Store.rollupWidth(level)
                // Whole buckets inside [first, last] from the rollup; the partial buckets at the edges from the points.
                let firstWhole = (first + width - 1) / width, lastWhole = (last + 1) / width - 1
                candidates += try raw(first, firstWhole * width - 1)
                for row in try Row.fetchAll(db, sql: """
                    SELECT min_step, min_value, max_step, max_value FROM metric_rollup
                    WHERE run_id = ? AND name_id = ? AND level = ? AND bucket BETWEEN ? AND ?
                    """, arguments: [runID, nameID, level, firstWhole, lastWhole]) {
                    candidates.append(SeriesPointInfo(step: row["min_step"], value: row["min_value"]))
                    candidates.append(SeriesPointInfo(step: row["max_step"], value: row["max_value"]))
                }
                candidates += try raw((lastWhole + 1) * width, last)
            } else {
                candidates = try raw(first, last)
            }
            // Merge into the target buckets: each keeps its minimum and maximum.
            var buckets = [(min: SeriesPointInfo, max: SeriesPointInfo)?](repeating: nil, count: targets)
            for p in candidates {
                let b = min(targets - 1, Int(Double(p.step - first) / span * Double(targets)))
                if let e = buckets[b] {
                    buckets[b] = (p.value < e.min.value ? p : e.min, p.value > e.max.value ? p : e.max)
                } else {
                    buckets[b] = (p, p)
                }
            }
            var out: [SeriesPointInfo] = []
            for case let (a, b)? in buckets {
                let pair = a.step <= b.step ? [a, b] : [b, a]
                for p in pair where out.last?.step != p.step { out.append(p) }
            }
            return out
        }
    }
}
