import Foundation
import GRDB
import RNNAPI

/// rnnd's system of record: one SQLite database (WAL, foreign keys, synchronous=FULL, a busy timeout) in
/// the state directory. Migrates when it opens; every write method is one transaction named by its intent;
/// reads go through the pool's readers, which never block the writer.
public final class Store: Sendable {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Commits survive power loss; a run commits only a few times a second.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError(.database, "cannot open the database \(path): \(error)")
        }
        try Migrations.apply(to: pool, path: path)
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError { throw error } catch let error as DatabaseError {
            throw StoreError(.database, "\(what): \(error.message ?? "\(error.resultCode)")")
        }
    }

    // MARK: datasets

    /// Records a dataset, or returns the existing row with the same content hash.
    public func addDataset(sha256: String, name: String, kind: String, size: Int64, path: String) throws -> DatasetRecord {
        try wrap("recording dataset \(name)") {
            try pool.write { db in
                if let existing = try datasetRow(db, sql: "SELECT * FROM dataset WHERE sha256 = ?", [sha256]) { return existing }
                try db.execute(sql: "INSERT INTO dataset (sha256, name, kind, size, path, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [sha256, name, kind, size, path, Store.now()])
                return try datasetRow(db, sql: "SELECT * FROM dataset WHERE id = ?", [db.lastInsertedRowID])!
            }
        }
    }

    public func dataset(sha256: String) throws -> DatasetRecord? {
        try pool.read { db in try datasetRow(db, sql: "SELECT * FROM dataset WHERE sha256 = ?", [sha256]) }
    }

    public func dataset(id: Int64) throws -> DatasetRecord? {
        try pool.read { db in try datasetRow(db, sql: "SELECT * FROM dataset WHERE id = ?", [id]) }
    }

    private func datasetRow(_ db: Database, sql: String, _ arguments: StatementArguments) throws -> DatasetRecord? {
        try Row.fetchOne(db, sql: sql, arguments: arguments).map {
            DatasetRecord(id: $0["id"], sha256: $0["sha256"], name: $0["name"], kind: $0["kind"], size: $0["size"],
                          path: $0["path"], createdAt: $0["created_at"])
        }
    }

    // MARK: runs

    /// Stores a submitted run (state queued) with its configuration, typed hyperparameters and tags, and
    /// its `submitted` event.
    public func createRun(_ run: NewRun) throws -> RunRecord {
        try wrap("recording run \(run.name)") {
            try pool.write { db in
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
                try insertEvent(db, runID: id, kind: "submitted", message: "submitted", uid: run.submittedBy, step: nil)
                return try runRecord(db, id: id)!
            }
        }
    }

    public func run(id: Int64) throws -> RunRecord? {
        try pool.read { db in try runRecord(db, id: id) }
    }

    func runRecord(_ db: Database, id: Int64) throws -> RunRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(Store.runColumns) FROM run WHERE id = ?", arguments: [id]) else { return nil }
        let tags = try String.fetchAll(db, sql: "SELECT tag FROM run_tag WHERE run_id = ? ORDER BY tag", arguments: [id])
        return Store.runRecord(row, tags: tags)
    }

    /// The run columns in the order `runRecord(_:tags:)` reads them by index (GRDB's lookup by name folds
    /// case on every access, a third of the time of a 10,000-run listing).
    static let runColumns = """
        run.id, run.name, run.state, run.priority, run.submitted_at, run.started_at, run.finished_at, run.submitted_by,
        run.workers, run.seed, run.dataset_id, run.restarts, run.failure, run.parent_run_id, run.parent_checkpoint_step, run.config
        """

    static func runRecord(_ row: Row, tags: [String]) -> RunRecord {
        RunRecord(id: row[0], name: row[1], state: RunState(rawValue: row[2]) ?? .failed, priority: row[3], submittedAt: row[4],
                  startedAt: row[5], finishedAt: row[6], submittedBy: row[7], workers: row[8], seed: row[9], datasetID: row[10],
                  restarts: row[11], failure: row[12], parentRunID: row[13], parentCheckpointStep: row[14], config: row[15], tags: tags)
    }

    /// Moves a run to `state` and records the transition as an event with its cause (and the uid that
    /// asked). Start and finish times are set on entering running and a final state; `countsRestart`
    /// adds one to the run's restart count (a requeue after rnnd stopped unexpectedly).
    public func setState(runID: Int64, to state: RunState, cause: String, uid: Int? = nil, failure: String? = nil,
                         countsRestart: Bool = false) throws {
        try wrap("changing the state of run \(runID)") {
            try pool.write { db in
                guard try runRecord(db, id: runID) != nil else { throw StoreError(.notFound, "no run \(runID)") }
                let now = Store.now()
                var sets = ["state = ?"]
                var arguments: [DatabaseValueConvertible?] = [state.rawValue]
                switch state {
                case .running: sets.append("started_at = COALESCE(started_at, ?)"); arguments.append(now)
                case .completed, .failed, .cancelled: sets.append("finished_at = ?"); arguments.append(now)
                default: break
                }
                if countsRestart { sets.append("restarts = restarts + 1") }
                if let failure { sets.append("failure = ?"); arguments.append(failure) }
                arguments.append(runID)
                try db.execute(sql: "UPDATE run SET \(sets.joined(separator: ", ")) WHERE id = ?", arguments: StatementArguments(arguments))
                try insertEvent(db, runID: runID, kind: state.rawValue, message: cause, uid: uid, step: nil)
            }
        }
    }

    /// The state directory: the database's folder; stored paths are relative to it.
    public var stateDirectory: URL { URL(fileURLWithPath: path).deletingLastPathComponent() }

    /// Removes checkpoint files after their rows are gone (a row never outlives its file; a file whose
    /// removal fails is only disk space, reported by the return value).
    func removeFiles(_ relativePaths: [String]) -> [String] {
        relativePaths.filter { relative in
            let url = stateDirectory.appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: url.path) else { return false }
            return (try? FileManager.default.removeItem(at: url)) == nil
        }
    }

    /// Deletes a run: its rows, then its checkpoint files. Returns the checkpoint paths (relative to the
    /// state directory) that were recorded.
    @discardableResult
    public func deleteRun(id: Int64) throws -> [String] {
        let paths = try wrap("deleting run \(id)") {
            try pool.write { db in
                guard try runRecord(db, id: id) != nil else { throw StoreError(.notFound, "no run \(id)") }
                let paths = try String.fetchAll(db, sql: "SELECT path FROM checkpoint WHERE run_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [id])
                return paths
            }
        }
        _ = removeFiles(paths)
        return paths
    }

    // MARK: events

    public func addEvent(runID: Int64, kind: String, message: String, uid: Int? = nil, step: Int? = nil) throws {
        try wrap("recording an event of run \(runID)") {
            try pool.write { db in try insertEvent(db, runID: runID, kind: kind, message: message, uid: uid, step: step) }
        }
    }

    func insertEvent(_ db: Database, runID: Int64, kind: String, message: String, uid: Int?, step: Int?) throws {
        try db.execute(sql: "INSERT INTO event (run_id, at, kind, message, uid, step) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [runID, Store.now(), kind, message, uid, step])
    }

    public func events(runID: Int64) throws -> [EventRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE run_id = ? ORDER BY id", arguments: [runID]).map {
                EventRow(id: $0["id"], runID: $0["run_id"], at: $0["at"], kind: $0["kind"], message: $0["message"], uid: $0["uid"], step: $0["step"])
            }
        }
    }

    // MARK: checkpoints

    /// Records a checkpoint whose file is already complete on disk (written atomically and fsynced by the
    /// trainer). The row is committed only after the file is found with the given size and SHA-256, so a
    /// row never points to a missing, partial or mismatched file.
    public func addCheckpoint(runID: Int64, step: Int, path: String, absolutePath: String, size: Int64, sha256: String,
                              valLoss: Double?, kind: CheckpointRow.Kind) throws -> CheckpointRow {
        let attributes = try? FileManager.default.attributesOfItem(atPath: absolutePath)
        guard let actual = (attributes?[.size] as? NSNumber)?.int64Value, actual == size else {
            throw StoreError(.conflict, "checkpoint file \(absolutePath) is missing or not \(size) bytes; not recorded")
        }
        guard try SHA256.hex(ofFile: absolutePath) == sha256 else {
            throw StoreError(.conflict, "checkpoint file \(absolutePath) does not have SHA-256 \(sha256); not recorded")
        }
        return try wrap("recording checkpoint \(step) of run \(runID)") {
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO checkpoint (run_id, step, path, size, sha256, val_loss, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run_id, step) DO UPDATE SET path = excluded.path, size = excluded.size, sha256 = excluded.sha256,
                        val_loss = COALESCE(excluded.val_loss, val_loss), kind = excluded.kind, created_at = excluded.created_at
                    """, arguments: [runID, step, path, size, sha256, valLoss, kind.rawValue, Store.now()])
                try insertEvent(db, runID: runID, kind: "checkpoint", message: "\(kind.rawValue) checkpoint written", uid: nil, step: step)
                return try checkpointRows(db, runID: runID).first { $0.step == step }!
            }
        }
    }

    public func checkpoints(runID: Int64) throws -> [CheckpointRow] {
        try pool.read { db in try checkpointRows(db, runID: runID) }
    }

    func checkpointRows(_ db: Database, runID: Int64) throws -> [CheckpointRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM checkpoint WHERE run_id = ? ORDER BY step", arguments: [runID]).map {
            CheckpointRow(id: $0["id"], runID: $0["run_id"], step: $0["step"], path: $0["path"], size: $0["size"], sha256: $0["sha256"],
                          valLoss: $0["val_loss"], kind: CheckpointRow.Kind(rawValue: $0["kind"]) ?? .periodic, createdAt: $0["created_at"])
        }
    }

    /// Keeps the last `keepLast` checkpoints and the `keepBest` with the lowest validation loss of a run;
    /// deletes the other rows, then their files, and returns their paths.
    @discardableResult
    public func applyRetention(runID: Int64, keepLast: Int, keepBest: Int) throws -> [String] {
        let doomed = try wrap("collecting checkpoints of run \(runID)") {
            try pool.write { db in
                let rows = try checkpointRows(db, runID: runID)
                let last = Set(rows.suffix(keepLast).map(\.id))
                let best = Set(rows.filter { $0.valLoss != nil }.sorted { $0.valLoss! < $1.valLoss! }.prefix(keepBest).map(\.id))
                let doomed = rows.filter { !last.contains($0.id) && !best.contains($0.id) }
                for row in doomed { try db.execute(sql: "DELETE FROM checkpoint WHERE id = ?", arguments: [row.id]) }
                return doomed.map(\.path)
            }
        }
        _ = removeFiles(doomed)
        return doomed
    }

    /// How many runs are in each state.
    public func runCounts() throws -> [RunState: Int] {
        try pool.read { db in
            var counts: [RunState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM run GROUP BY state") {
                if let state = RunState(rawValue: row[0]) { counts[state] = row[1] }
            }
            return counts
        }
    }

    /// Runs in `state`, in scheduling order: higher priority first, then earlier submission.
    public func runs(in state: RunState) throws -> [RunRecord] {
        try pool.read { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE state = ? ORDER BY priority DESC, submitted_at, id",
                                         arguments: [state.rawValue])
            return try ids.compactMap { try runRecord(db, id: $0) }
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
            try pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [destination]) }
        }
    }

    /// Rebuilds the database file to return free pages to the file system.
    public func vacuum() throws {
        try wrap("vacuuming") { try pool.vacuum() }
    }
}
