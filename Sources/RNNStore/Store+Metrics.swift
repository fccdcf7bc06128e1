import GRDB

extension Store {
    /// Writes a batch of metric points in one transaction and keeps the per-run summaries current. A step
    /// written again (a run replayed after a resume) replaces its row; its series' summary is then
    /// recomputed from the rows rather than updated.
    public func recordMetrics(_ points: [MetricPoint]) throws {
        guard !points.isEmpty else { return }
        try wrap("recording \(points.count) metric points") {
            try pool.write { db in
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO metric (run_id, name, step, value, wall_time) VALUES (?, ?, ?, ?, ?)")
                for p in points {
                    try insert.execute(arguments: [p.runID, p.name, p.step, p.value, p.wallTime])
                }
                var series: [String: [MetricPoint]] = [:]
                for p in points { series["\(p.runID)\u{0}\(p.name)", default: []].append(p) }
                for batch in series.values {
                    try updateSummary(db, batch)
                }
            }
        }
    }

    private func updateSummary(_ db: Database, _ batch: [MetricPoint]) throws {
        let runID = batch[0].runID, name = batch[0].name
        let higher = MetricSummary.higherIsBetter(name)
        let existing = try Row.fetchOne(db, sql: "SELECT * FROM metric_summary WHERE run_id = ? AND name = ?", arguments: [runID, name])
        let minStep = batch.map(\.step).min()!
        if let existing, minStep <= (existing["latest_step"] as Int) {
            try recomputeSummary(db, runID: runID, name: name, higher: higher)
            return
        }
        var latest = batch.max { $0.step < $1.step }!
        var best = batch.min { higher ? $0.value > $1.value : $0.value < $1.value }!
        var count = Set(batch.map(\.step)).count
        if let existing {
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
            INSERT OR REPLACE INTO metric_summary (run_id, name, latest_step, latest_value, best_step, best_value, count)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [runID, name, latest.step, latest.value, best.step, best.value, count])
    }

    private func recomputeSummary(_ db: Database, runID: Int64, name: String, higher: Bool) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO metric_summary (run_id, name, latest_step, latest_value, best_step, best_value, count)
            SELECT ?, ?,
                   (SELECT step FROM metric WHERE run_id = ?1 AND name = ?2 ORDER BY step DESC LIMIT 1),
                   (SELECT value FROM metric WHERE run_id = ?1 AND name = ?2 ORDER BY step DESC LIMIT 1),
                   (SELECT step FROM metric WHERE run_id = ?1 AND name = ?2 ORDER BY value \(higher ? "DESC" : "ASC"), step LIMIT 1),
                   (SELECT value FROM metric WHERE run_id = ?1 AND name = ?2 ORDER BY value \(higher ? "DESC" : "ASC"), step LIMIT 1),
                   (SELECT count(*) FROM metric WHERE run_id = ?1 AND name = ?2)
            """, arguments: [runID, name])
    }

    /// The latest and best values of every metric of a run.
    public func summaries(runID: Int64) throws -> [MetricSummary] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM metric_summary WHERE run_id = ? ORDER BY name", arguments: [runID]).map {
                MetricSummary(name: $0["name"], latestStep: $0["latest_step"], latestValue: $0["latest_value"],
                              bestStep: $0["best_step"], bestValue: $0["best_value"], count: $0["count"])
            }
        }
    }

    /// A run's series for `name` over `steps` (all when nil). With `maxPoints`, a longer series is cut
    /// into maxPoints/2 buckets of equal step width and each bucket gives its minimum and its maximum
    /// (in step order), so spikes survive the downsampling.
    public func series(runID: Int64, name: String, steps: ClosedRange<Int>? = nil, maxPoints: Int? = nil) throws -> [SeriesPoint] {
        let lo = steps?.lowerBound ?? Int.min, hi = steps?.upperBound ?? Int.max
        return try pool.read { db in
            let bounds = try Row.fetchOne(db, sql: """
                SELECT min(step) AS lo, max(step) AS hi, count(*) AS n FROM metric
                WHERE run_id = ? AND name = ? AND step BETWEEN ? AND ?
                """, arguments: [runID, name, lo, hi])!
            let n: Int = bounds["n"]
            guard n > 0 else { return [] }
            if let maxPoints, maxPoints >= 2, n > maxPoints {
                let first: Int = bounds["lo"], last: Int = bounds["hi"]
                let buckets = maxPoints / 2
                let width = Double(last - first + 1) / Double(buckets)
                // SQLite returns the step of the row that gave min() or max() in the same SELECT.
                var points: [SeriesPoint] = []
                for aggregate in ["min", "max"] {
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT CAST((step - ?) / ? AS INTEGER) AS bucket, step, \(aggregate)(value) AS value FROM metric
                        WHERE run_id = ? AND name = ? AND step BETWEEN ? AND ? GROUP BY bucket
                        """, arguments: [first, width, runID, name, lo, hi])
                    points += rows.map { SeriesPoint(step: $0["step"], value: $0["value"]) }
                }
                points.sort { $0.step < $1.step }
                var unique: [SeriesPoint] = []
                for p in points where unique.last?.step != p.step { unique.append(p) }
                return unique
            }
            return try Row.fetchAll(db, sql: """
                SELECT step, value FROM metric WHERE run_id = ? AND name = ? AND step BETWEEN ? AND ? ORDER BY step
                """, arguments: [runID, name, lo, hi]).map { SeriesPoint(step: $0["step"], value: $0["value"]) }
        }
    }
}
