import Foundation
import GRDB
import RNNAPI

/// A sweep as stored.
public struct SweepRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var state: SweepState
    public var method: SweepMethod
    public var metric: String
    public var goal: SweepGoal
    /// The search space's items (`lr=loguniform(0.0001, 0.01)`), as JSON.
    public var space: String
    /// The base configuration, as JSON.
    public var baseConfig: String
    public var datasetID: Int64
    public var seed: Int
    public var maxConcurrent: Int
    public var priority: Int
    /// ASHASettings as JSON (asha only).
    public var asha: String?
    public var submittedAt: Double
    public var finishedAt: Double?
    public var submittedBy: Int?

    public init(id: Int64, name: String, state: SweepState, method: SweepMethod, metric: String, goal: SweepGoal, space: String,
                baseConfig: String, datasetID: Int64, seed: Int, maxConcurrent: Int, priority: Int, asha: String?, submittedAt: Double,
                finishedAt: Double?, submittedBy: Int?) {
        (self.id, self.name, self.state, self.method, self.metric, self.goal) = (id, name, state, method, metric, goal)
        (self.space, self.baseConfig, self.datasetID, self.seed, self.maxConcurrent) = (space, baseConfig, datasetID, seed, maxConcurrent)
        (self.priority, self.asha, self.submittedAt, self.finishedAt, self.submittedBy) = (priority, asha, submittedAt, finishedAt, submittedBy)
    }
}

public struct TrialRecord: Sendable, Equatable {
    public var sweepID: Int64
    public var number: Int
    /// The trial's assignment of the space, as JSON.
    public var assignment: String
    public var runID: Int64?
    public var rung: Int
    public var state: TrialState
}

public struct TrialResult: Sendable, Equatable {
    public var rung: Int
    public var number: Int
    /// Nil: the run recorded no value of the metric (it diverged).
    public var value: Double?
}

/// A run that trains a trial: created in one transaction with the trial's move to `training` at `rung`.
public struct TrialLink: Sendable, Equatable {
    public var sweepID: Int64
    public var number: Int
    public var rung: Int
    /// The state the decision saw the trial in (pending for a start, waiting one rung below for a
    /// promotion): the link is made only from there, else the run is not created (a lost race).
    public var from: TrialState
    public init(sweepID: Int64, number: Int, rung: Int, from: TrialState) {
        (self.sweepID, self.number, self.rung, self.from) = (sweepID, number, rung, from)
    }
}

extension Store {
    /// Stores a sweep (running) with its trials (pending) and its `submitted` event.
    public func createSweep(_ sweep: SweepRecord, assignments: [String], message: String) throws -> SweepRecord {
        try wrap("recording sweep \(sweep.name)") {
            try writer.write { db in
                try db.execute(sql: """
                    INSERT INTO sweep (name, state, method, metric, goal, space, base_config, dataset_id, seed, max_concurrent,
                                       priority, asha, submitted_at, submitted_by)
                    VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [sweep.name, sweep.method.rawValue, sweep.metric, sweep.goal.rawValue, sweep.space, sweep.baseConfig,
                                     sweep.datasetID, sweep.seed, sweep.maxConcurrent, sweep.priority, sweep.asha, Store.now(), sweep.submittedBy])
                let id = db.lastInsertedRowID
                for (number, assignment) in assignments.enumerated() {
                    try db.execute(sql: "INSERT INTO sweep_trial (sweep_id, number, assignment, state) VALUES (?, ?, ?, 'pending')",
                                   arguments: [id, number, assignment])
                }
                try insertSweepEvent(db, id, .submitted, message)
                return try sweepRecord(db, id)!
            }
        }
    }

    public func sweep(id: Int64) throws -> SweepRecord? {
        try writer.read { db in try sweepRecord(db, id) }
    }

    public func sweeps(state: SweepState? = nil) throws -> [SweepRecord] {
        try writer.read { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM sweep \(state == nil ? "" : "WHERE state = ?") ORDER BY id DESC",
                                         arguments: state.map { [$0.rawValue] } ?? [])
            return try ids.compactMap { try sweepRecord(db, $0) }
        }
    }

    func sweepRecord(_ db: Database, _ id: Int64) throws -> SweepRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sweep WHERE id = ?", arguments: [id]) else { return nil }
        let (state, method, goal): (String, String, String) = (row["state"], row["method"], row["goal"])
        guard let s = SweepState(rawValue: state), let m = SweepMethod(rawValue: method), let g = SweepGoal(rawValue: goal) else {
            throw StoreError(.invalidRow, "sweep \(id) has an unknown state, method or goal in the database (\(state), \(method), \(goal))")
        }
        return SweepRecord(id: id, name: row["name"], state: s, method: m, metric: row["metric"], goal: g, space: row["space"],
                           baseConfig: row["base_config"], datasetID: row["dataset_id"], seed: row["seed"], maxConcurrent: row["max_concurrent"],
                           priority: row["priority"], asha: row["asha"], submittedAt: row["submitted_at"], finishedAt: row["finished_at"],
                           submittedBy: row["submitted_by"])
    }

    public func trials(sweepID: Int64) throws -> [TrialRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sweep_trial WHERE sweep_id = ? ORDER BY number", arguments: [sweepID]).map { row in
                let state: String = row["state"]
                guard let s = TrialState(rawValue: state) else {
                    throw StoreError(.invalidRow, "trial \(row["number"] as Int) of sweep \(sweepID) has the unknown state \"\(state)\"")
                }
                return TrialRecord(sweepID: sweepID, number: row["number"], assignment: row["assignment"], runID: row["run_id"], rung: row["rung"], state: s)
            }
        }
    }

    /// The results in arrival order.
    public func results(sweepID: Int64) throws -> [TrialResult] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT rung, number, value FROM sweep_result WHERE sweep_id = ? ORDER BY at, rung, number", arguments: [sweepID])
                .map { TrialResult(rung: $0["rung"], number: $0["number"], value: $0["value"]) }
        }
    }

    public func sweepEvents(sweepID: Int64) throws -> [SweepEventInfo] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, at, kind, message FROM sweep_event WHERE sweep_id = ? ORDER BY id", arguments: [sweepID])
                .map { row in
                    let text: String = row["kind"]
                    // A kind this binary does not know is an error naming the row, never a default.
                    guard let kind = SweepEventKind(rawValue: text) else {
                        throw StoreError(.database, "sweep \(sweepID) has an event of unknown kind \"\(text)\" (row \(row["id"] as Int64))")
                    }
                    return SweepEventInfo(at: row["at"], kind: kind, message: row["message"])
                }
        }
    }

    /// A trial's run ended a rung: its result (kept once: a repeated call after a crash changes nothing) and
    /// the trial's next state, with an event, in one transaction.
    public func recordResult(sweepID: Int64, number: Int, rung: Int, value: Double?, next: TrialState, message: String) throws {
        try wrap("recording a result of sweep \(sweepID)") {
            try writer.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO sweep_result (sweep_id, rung, number, value, at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [sweepID, rung, number, value, Store.now()])
                try db.execute(sql: "UPDATE sweep_trial SET state = ? WHERE sweep_id = ? AND number = ?", arguments: [next.rawValue, sweepID, number])
                try insertSweepEvent(db, sweepID, .result, message)
            }
        }
    }

    /// Moves a trial to `state` (stopped, failed, …) with an event.
    public func setTrialState(sweepID: Int64, number: Int, _ state: TrialState, kind: SweepEventKind, message: String) throws {
        try wrap("changing trial \(number) of sweep \(sweepID)") {
            try writer.write { db in
                try db.execute(sql: "UPDATE sweep_trial SET state = ? WHERE sweep_id = ? AND number = ?", arguments: [state.rawValue, sweepID, number])
                try insertSweepEvent(db, sweepID, kind, message)
            }
        }
    }

    /// Ends a running sweep (refused when it has ended already); returns whether it moved.
    @discardableResult
    public func finishSweep(id: Int64, _ state: SweepState, message: String) throws -> Bool {
        try wrap("ending sweep \(id)") {
            try writer.write { db in
                try db.execute(sql: "UPDATE sweep SET state = ?, finished_at = ? WHERE id = ? AND state = 'running'", arguments: [state.rawValue, Store.now(), id])
                guard db.changesCount > 0 else { return false }
                try insertSweepEvent(db, id, state.event, message)
                return true
            }
        }
    }

    public func addSweepEvent(sweepID: Int64, kind: SweepEventKind, message: String) throws {
        try wrap("recording an event of sweep \(sweepID)") {
            try writer.write { db in try insertSweepEvent(db, sweepID, kind, message) }
        }
    }

    func insertSweepEvent(_ db: Database, _ sweepID: Int64, _ kind: SweepEventKind, _ message: String) throws {
        try db.execute(sql: "INSERT INTO sweep_event (sweep_id, at, kind, message) VALUES (?, ?, ?, ?)", arguments: [sweepID, Store.now(), kind.rawValue, message])
    }

    /// In `createRun`'s transaction: the run belongs to the trial's sweep and trains the trial at its rung.
    func linkTrial(_ db: Database, _ link: TrialLink, runID: Int64) throws {
        try db.execute(sql: "UPDATE run SET sweep_id = ? WHERE id = ?", arguments: [link.sweepID, runID])
        try db.execute(sql: """
            UPDATE sweep_trial SET run_id = ?, rung = ?, state = 'training'
            WHERE sweep_id = ? AND number = ? AND state = ? AND rung = ? AND (SELECT state FROM sweep WHERE id = ?) = 'running'
            """, arguments: [runID, link.rung, link.sweepID, link.number, link.from.rawValue, link.from == .pending ? 0 : link.rung - 1, link.sweepID])
        guard db.changesCount == 1 else {
            throw StoreError(.lostRace, "trial \(link.number) of sweep \(link.sweepID) is no longer \(link.from.rawValue) (or the sweep has ended)")
        }
    }

    /// The steps each of `runIDs` has trained (the latest step of its train_loss), for a sweep's budget figures.
    public func trainedSteps(runIDs: [Int64]) throws -> [Int64: Int] {
        guard !runIDs.isEmpty else { return [:] }
        return try writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT run_id, latest_step FROM metric_summary WHERE name = 'train_loss'
                AND run_id IN (\(Array(repeating: "?", count: runIDs.count).joined(separator: ",")))
                """, arguments: StatementArguments(runIDs.map(\.databaseValue)))
            return Dictionary(rows.map { ($0["run_id"] as Int64, $0["latest_step"] as Int) }) { a, _ in a }
        }
    }
}
