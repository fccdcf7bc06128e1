import Foundation
import GRDB
import RNNAPI

/// rnnd's system of record: one SQLite database (WAL, foreign keys, synchronous=FULL, a busy timeout) in
/// the state directory. Migrates when it opens; every write method is one transaction named by its intent;
/// reads go through the pool's readers, which never block the writer.
public final class Store: Sendable {
    /// A `DatabasePool` on the state directory's file in rnnd; any writer (an in-memory `DatabaseQueue`) in tests.
    let writer: any DatabaseWriter
    /// The database file, or a description of an in-memory one (messages and sizes only).
    public let path: String
    /// Where the files the rows point to live (datasets/, checkpoints/): paths in rows are relative to it.
    public let stateDirectory: URL

    /// Opens (creating if needed) and migrates the database at `path`, a file in the state directory.
    public convenience init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Commits survive power loss; a run commits only a few times a second.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try Migrations.refuseNewer(path: path)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError(.database, "cannot open the database \(path): \(error)", cause: error)
        }
        try self.init(writer: pool, path: path, stateDirectory: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// Migrates and wraps `writer`, whose rows' relative paths resolve in `stateDirectory`.
    public init(writer: any DatabaseWriter, path: String, stateDirectory: URL) throws {
        self.writer = writer
        self.path = path
        self.stateDirectory = stateDirectory
        try Migrations.apply(to: writer, path: path)
    }

    /// An in-memory database (controller tests): the same schema and rules, nothing on disk but the files
    /// the caller puts in `stateDirectory`.
    public static func inMemory(stateDirectory: URL) throws -> Store {
        try Store(writer: DatabaseQueue(), path: ":memory:", stateDirectory: stateDirectory)
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError { throw error } catch let error as DatabaseError {
            throw StoreError(.database, "\(what): \(error.message ?? "\(error.resultCode)")", cause: error)
        }
    }

    // MARK: runs

    /// Stores a submitted run (state queued) with its configuration, typed hyperparameters and tags, and
    /// its `submitted` event.
    public func createRun(_ run: NewRun) throws -> RunRecord {
        try wrap("recording run \(run.name)") {
            try writer.write { db in
                let now = Store.now()
                try db.execute(sql: """
                    INSERT INTO run (name, state, priority, submitted_at, submitted_by, workers, seed, dataset_id,
                                     parent_run_id, parent_checkpoint_step, config)
                    VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.name, run.priority, now, run.submittedBy, run.workers, run.seed, run.datasetID,
                                     run.parentRunID, run.parentCheckpointStep, run.config])
                let id = db.lastInsertedRowID
                for (key, value) in run.hyperparameters {
                    switch value {
                    case .number(let n):
                        try db.execute(sql: "INSERT INTO hyperparameter (run_id, key, value_num) VALUES (?, ?, ?)", arguments: [id, key, n])
                    case .text(let t):
                        try db.execute(sql: "INSERT INTO hyperparameter (run_id, key, value_text) VALUES (?, ?, ?)", arguments: [id, key, t])
                    }
                }
                for tag in Set(run.tags) {
                    try db.execute(sql: "INSERT INTO run_tag (run_id, tag) VALUES (?, ?)", arguments: [id, tag])
                }
                if let trial = run.trial { try linkTrial(db, trial, runID: id) }
                try insertEvent(db, runID: id, kind: .submitted, message: "submitted", uid: run.submittedBy, step: nil)
                return try runRecord(db, id: id)!
            }
        }
    }

    public func run(id: Int64) throws -> RunRecord? {
        try writer.read { db in try runRecord(db, id: id) }
    }

    func runRecord(_ db: Database, id: Int64) throws -> RunRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(Store.runColumns) FROM run WHERE id = ?", arguments: [id]) else { return nil }
        let tags = try String.fetchAll(db, sql: "SELECT tag FROM run_tag WHERE run_id = ? ORDER BY tag", arguments: [id])
        return try Store.runRecord(row, tags: tags)
    }

    /// The columns of a run, in the order a query selects them (`runColumns`) and `runRecord(_:tags:)` reads
    /// them: by position, named here once (GRDB's lookup by name folds case on every access, a third of the
    /// time of a 10,000-run listing).
    enum RunColumn: Int, CaseIterable {
        case id, name, state, priority, submittedAt, startedAt, finishedAt, submittedBy, workers, seed, datasetID, restarts,
             failure, parentRunID, parentCheckpointStep, config, note, sweepID

        var sql: String {
            switch self {
            case .datasetID: "run.dataset_id"
            case .parentRunID: "run.parent_run_id"
            case .sweepID: "run.sweep_id"
            default: "run." + "\(self)".reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
            }
        }
    }

    /// The run columns in `RunColumn`'s order.
    static let runColumns = RunColumn.allCases.map(\.sql).joined(separator: ", ")
    /// The number of run columns: a query's own columns follow them.
    static let runColumnCount = RunColumn.allCases.count

    static func runRecord(_ row: Row, tags: [String]) throws -> RunRecord {
        let id: Int64 = row[RunColumn.id.rawValue]
        let state: String = row[RunColumn.state.rawValue]
        guard let runState = RunState(rawValue: state) else {
            throw StoreError(.invalidRow, "run \(id) has the unknown state \"\(state)\" in the database (rnnd knows \(RunState.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return RunRecord(id: id, name: row[RunColumn.name.rawValue], state: runState, priority: row[RunColumn.priority.rawValue],
                         submittedAt: row[RunColumn.submittedAt.rawValue], startedAt: row[RunColumn.startedAt.rawValue], finishedAt: row[RunColumn.finishedAt.rawValue],
                         submittedBy: row[RunColumn.submittedBy.rawValue], workers: row[RunColumn.workers.rawValue], seed: row[RunColumn.seed.rawValue],
                         datasetID: row[RunColumn.datasetID.rawValue], restarts: row[RunColumn.restarts.rawValue], failure: row[RunColumn.failure.rawValue],
                         parentRunID: row[RunColumn.parentRunID.rawValue], parentCheckpointStep: row[RunColumn.parentCheckpointStep.rawValue],
                         config: row[RunColumn.config.rawValue], note: row[RunColumn.note.rawValue], sweepID: row[RunColumn.sweepID.rawValue], tags: tags)
    }

    /// What a state change did.
    public enum Transition: Sendable, Equatable {
        /// The run left `from` for the target state; the event row is written.
        case moved(from: RunState)
        /// The run is in `current`, from which the machine does not allow the target (or the caller's narrower
        /// set of sources excludes it): nothing changed.
        case refused(current: RunState)

        public var moved: Bool { if case .moved = self { true } else { false } }
    }

    /// Moves a run to `target` only if its current state is one of `RunState.sources(of: target)` (narrowed
    /// to `from` when given), with its event row (cause, uid) in the same transaction: one conditional
    /// UPDATE, so two callers racing for the same run cannot both win. Start and finish times are set on
    /// entering running and a final state; `failure` replaces the run's failure reason (nil clears it);
    /// `countsRestart` adds one to the restart count. Throws `.notFound` for a missing run.
    @discardableResult
    public func transition(runID: Int64, to target: RunState, from narrowed: Set<RunState>? = nil, cause: String, uid: Int? = nil,
                           failure: String? = nil, countsRestart: Bool = false) throws -> Transition {
        try wrap("changing the state of run \(runID) to \(target)") {
            try writer.write { db in
                try move(db, runID: runID, to: target, from: narrowed, cause: cause, uid: uid, failure: failure, countsRestart: countsRestart)
            }
        }
    }

    /// `transition`'s body, inside a write transaction of the caller's.
    func move(_ db: Database, runID: Int64, to target: RunState, from narrowed: Set<RunState>?, cause: String, uid: Int?,
              failure: String?, countsRestart: Bool) throws -> Transition {
        guard let current = try runRecord(db, id: runID)?.state else { throw StoreError(.notFound, "no run \(runID)") }
        let sources = RunState.sources(of: target).intersection(narrowed ?? Set(RunState.allCases))
        guard sources.contains(current) else { return .refused(current: current) }
        let now = Store.now()
        var sets = ["state = ?", "failure = ?"]
        var arguments: [DatabaseValueConvertible?] = [target.rawValue, failure]
        switch target {
        case .running: sets.append("started_at = COALESCE(started_at, ?)"); arguments.append(now)
        case .completed, .failed, .cancelled: sets.append("finished_at = ?"); arguments.append(now)
        default: break
        }
        if countsRestart { sets.append("restarts = restarts + 1") }
        arguments.append(runID)
        let placeholders = Array(repeating: "?", count: sources.count).joined(separator: ", ")
        arguments += sources.sorted { $0.rawValue < $1.rawValue }.map(\.rawValue)
        try db.execute(sql: "UPDATE run SET \(sets.joined(separator: ", ")) WHERE id = ? AND state IN (\(placeholders))",
                       arguments: StatementArguments(arguments))
        // The write lock is held from the read above, so the row cannot have changed in between;
        // the condition in the UPDATE states the rule where the row is written.
        guard db.changesCount == 1 else { return .refused(current: current) }
        try insertEvent(db, runID: runID, kind: EventKind(entering: target), message: cause, uid: uid, step: nil)
        return .moved(from: current)
    }

    /// The state directory: the database's folder; stored paths are relative to it.

    /// Deletes a run that is not running, with every row that belongs to it; returns the checkpoint paths
    /// (relative to the state directory) it had, for the caller, who owns the files, to remove them.
    @discardableResult
    /// Deletes a run that is not running. A run other runs were forked from is kept unless `force`: deleting it
    /// would lose their "forked from" line.
    public func deleteRun(id: Int64, force: Bool = false) throws -> [String] {
        let paths = try wrap("deleting run \(id)") {
            try writer.write { db in
                guard let state = try runRecord(db, id: id)?.state else { throw StoreError(.notFound, "no run \(id)") }
                // Checked in the deleting transaction: a run that started meanwhile is never deleted under its trainer.
                guard state != .running else { throw StoreError(.conflict, "run \(id) is running; cancel it first") }
                let forks = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE parent_run_id = ? ORDER BY id", arguments: [id])
                guard forks.isEmpty || force else {
                    throw StoreError(.conflict, "run \(id) has forks (run\(forks.count == 1 ? "" : "s") \(forks.map(String.init).joined(separator: ", "))): deleting it loses their \"forked from\" line; delete it with --force (API: ?force=true)")
                }
                let paths = try String.fetchAll(db, sql: "SELECT path FROM checkpoint WHERE run_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [id])
                return paths
            }
        }
        return paths
    }

    /// Applies a user's edit — name, note, tags — in one transaction with its `edited` event (what changed, and
    /// who asked). Adding a tag the run has, or removing one it lacks, changes nothing; an edit that changes
    /// nothing writes no event. Any state: the edit touches only what the trainer never reads.
    public func editRun(id: Int64, _ edit: RunEdit, uid: Int?) throws -> RunRecord {
        try wrap("editing run \(id)") {
            try writer.write { db in
                guard let before = try runRecord(db, id: id) else { throw StoreError(.notFound, "no run \(id)") }
                var changes: [String] = []
                if let name = edit.name, name != before.name {
                    try db.execute(sql: "UPDATE run SET name = ? WHERE id = ?", arguments: [name, id])
                    changes.append("renamed from \"\(before.name)\" to \"\(name)\"")
                }
                let added = edit.addTags.filter { !before.tags.contains($0) }.uniqued()
                let removed = edit.removeTags.filter { before.tags.contains($0) }.uniqued()
                for tag in added { try db.execute(sql: "INSERT INTO run_tag (run_id, tag) VALUES (?, ?)", arguments: [id, tag]) }
                for tag in removed { try db.execute(sql: "DELETE FROM run_tag WHERE run_id = ? AND tag = ?", arguments: [id, tag]) }
                if !added.isEmpty || !removed.isEmpty {
                    changes.append("tags " + (added.map { "+" + $0 } + removed.map { "-" + $0 }).joined(separator: " "))
                }
                if let note = edit.note, note != (before.note ?? "") {
                    try db.execute(sql: "UPDATE run SET note = ? WHERE id = ?", arguments: [note.isEmpty ? nil : note, id])
                    changes.append(note.isEmpty ? "note removed" : before.note == nil ? "note added" : "note changed")
                }
                if !changes.isEmpty {
                    let by = uid.map { " by uid \($0)" } ?? ""
                    try insertEvent(db, runID: id, kind: .edited, message: changes.joined(separator: "; ") + by, uid: uid, step: nil)
                }
                return try runRecord(db, id: id)!
            }
        }
    }

    // MARK: events

    /// Records an event that changes no state. `kind` must not be a state kind: transitions go through
    /// `transition(runID:to:…)`.
    public func addEvent(runID: Int64, kind: EventKind, message: String, uid: Int? = nil, step: Int? = nil) throws {
        precondition(kind.enteredState == nil, "state events are written by transition(runID:to:)")
        try wrap("recording an event of run \(runID)") {
            try writer.write { db in try insertEvent(db, runID: runID, kind: kind, message: message, uid: uid, step: step) }
        }
    }

    func insertEvent(_ db: Database, runID: Int64, kind: EventKind, message: String, uid: Int?, step: Int?) throws {
        try db.execute(sql: "INSERT INTO event (run_id, at, kind, message, uid, step) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [runID, Store.now(), kind.rawValue, message, uid, step])
    }

    public func events(runID: Int64) throws -> [EventRow] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE run_id = ? ORDER BY id", arguments: [runID]).map { row in
                let id: Int64 = row["id"], kind: String = row["kind"]
                guard let eventKind = EventKind(rawValue: kind) else {
                    throw StoreError(.invalidRow, "event \(id) of run \(runID) has the unknown kind \"\(kind)\" in the database")
                }
                return EventRow(id: id, runID: row["run_id"], at: row["at"], kind: eventKind, message: row["message"], uid: row["uid"], step: row["step"])
            }
        }
    }

    // MARK: checkpoints

    /// Records a checkpoint whose file the caller found complete on disk with `size` bytes and hashed
    /// (`sha256`): the row is committed only after that, so it never points to a missing, partial or mismatched
    /// file. `path` is relative to the state directory.
    @discardableResult
    public func addCheckpoint(runID: Int64, step: Int, path: String, size: Int64, sha256: String, valLoss: Double?,
                              kind: CheckpointKind) throws -> CheckpointRow {
        return try wrap("recording checkpoint \(step) of run \(runID)") {
            try writer.write { db in
                try db.execute(sql: """
                    INSERT INTO checkpoint (run_id, step, path, size, sha256, val_loss, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run_id, step) DO UPDATE SET path = excluded.path, size = excluded.size, sha256 = excluded.sha256,
                        val_loss = COALESCE(excluded.val_loss, val_loss), kind = excluded.kind, created_at = excluded.created_at
                    """, arguments: [runID, step, path, size, sha256, valLoss, kind.rawValue, Store.now()])
                try insertEvent(db, runID: runID, kind: .checkpoint, message: "\(kind.rawValue) checkpoint written", uid: nil, step: step)
                return try checkpointRows(db, runID: runID).first { $0.step == step }!
            }
        }
    }

    public func checkpoints(runID: Int64) throws -> [CheckpointRow] {
        try writer.read { db in try checkpointRows(db, runID: runID) }
    }

    func checkpointRows(_ db: Database, runID: Int64) throws -> [CheckpointRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM checkpoint WHERE run_id = ? ORDER BY step", arguments: [runID]).map { row in
            let id: Int64 = row["id"], kind: String = row["kind"]
            guard let checkpointKind = CheckpointKind(rawValue: kind) else {
                throw StoreError(.invalidRow, "checkpoint \(id) of run \(runID) has the unknown kind \"\(kind)\" in the database")
            }
            return CheckpointRow(id: id, runID: row["run_id"], step: row["step"], path: row["path"], size: row["size"], sha256: row["sha256"],
                                 valLoss: row["val_loss"], kind: checkpointKind, createdAt: row["created_at"])
        }
    }

    /// Forgets a checkpoint whose file is damaged or missing, with an `error` event that says so, in one
    /// transaction: the run then resumes from the one before. The file itself is the caller's.
    public func discardCheckpoint(runID: Int64, step: Int, message: String) throws {
        try wrap("discarding checkpoint \(step) of run \(runID)") {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM checkpoint WHERE run_id = ? AND step = ?", arguments: [runID, step])
                try insertEvent(db, runID: runID, kind: .error, message: message, uid: nil, step: step)
            }
        }
    }

    /// Keeps the last `keepLast` checkpoints and the `keepBest` with the lowest validation loss of a run;
    /// deletes the other rows and returns their paths, for the caller to remove the files (after the rows: a
    /// row never outlives its file).
    @discardableResult
    public func applyRetention(runID: Int64, keepLast: Int, keepBest: Int) throws -> [String] {
        try wrap("collecting checkpoints of run \(runID)") {
            try writer.write { db in
                let rows = try checkpointRows(db, runID: runID)
                let last = Set(rows.suffix(keepLast).map(\.id))
                let best = Set(rows.filter { $0.valLoss != nil }.sorted { $0.valLoss! < $1.valLoss! }.prefix(keepBest).map(\.id))
                let doomed = rows.filter { !last.contains($0.id) && !best.contains($0.id) }
                for row in doomed { try db.execute(sql: "DELETE FROM checkpoint WHERE id = ?", arguments: [row.id]) }
                return doomed.map(\.path)
            }
        }
    }

    /// How many runs are in each state.
    public func runCounts() throws -> [RunState: Int] {
        try writer.read { db in
            var counts: [RunState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM run GROUP BY state") {
                let name: String = row[0]
                guard let state = RunState(rawValue: name) else {
                    throw StoreError(.invalidRow, "\(row[1] as Int) run(s) have the unknown state \"\(name)\" in the database")
                }
                counts[state] = row[1]
            }
            return counts
        }
    }

    /// Runs in `state`, in scheduling order: higher priority first, then earlier submission.
    public func runs(in state: RunState) throws -> [RunRecord] {
        try wrap("listing \(state) runs") {
            try writer.read { db in
                // One query for the runs and one for their tags, whatever their number.
                var runs = try Row.fetchAll(db, sql: "SELECT \(Store.runColumns) FROM run WHERE state = ? ORDER BY priority DESC, submitted_at, id",
                                            arguments: [state.rawValue]).map { try Store.runRecord($0, tags: []) }
                let tags = try tagsByRun(db, ids: runs.map(\.id))
                for i in runs.indices { runs[i].tags = tags[runs[i].id] ?? [] }
                return runs
            }
        }
    }

    /// The database file's size with its WAL, in bytes.
    public var databaseBytes: Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    // MARK: maintenance

    /// An online, consistent copy of the database at `destination` (VACUUM INTO), safe while rnnd writes.
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreError(.conflict, "\(destination) exists; choose a new file for the backup")
        }
        try wrap("backing up to \(destination)") {
            // VACUUM cannot run inside the transaction a pool read opens; one statement is its own snapshot.
            try writer.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [destination]) }
        }
    }

    /// SQLite's `PRAGMA integrity_check`: "ok", or the problems it found, one per line.
    public func integrityCheck() throws -> String {
        try wrap("checking the database's integrity") {
            try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
        }
    }

}

