import Foundation
import GRDB
import RNNAPI

extension Store {
    /// Records a dataset, or returns the existing row with the same content hash.
    public func addDataset(sha256: String, name: String, kind: DatasetKind, size: Int64, path: String) throws -> DatasetRecord {
        try wrap("recording dataset \(name)") {
            try writer.write { db in
                if let existing = try datasetRow(db, sql: "SELECT * FROM dataset WHERE sha256 = ?", [sha256]) { return existing }
                try db.execute(sql: "INSERT INTO dataset (sha256, name, kind, size, path, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [sha256, name, kind.rawValue, size, path, Store.now()])
                return try datasetRow(db, sql: "SELECT * FROM dataset WHERE id = ?", [db.lastInsertedRowID])!
            }
        }
    }

    public func dataset(sha256: String) throws -> DatasetRecord? {
        try writer.read { db in try datasetRow(db, sql: "SELECT * FROM dataset WHERE sha256 = ?", [sha256]) }
    }

    public func dataset(id: Int64) throws -> DatasetRecord? {
        try writer.read { db in try datasetRow(db, sql: "SELECT * FROM dataset WHERE id = ?", [id]) }
    }

    /// Every dataset with the number of runs that use it, newest first: one query.
    public func datasets() throws -> [(dataset: DatasetRecord, runs: Int)] {
        try wrap("listing datasets") {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT dataset.*, (SELECT count(*) FROM run WHERE run.dataset_id = dataset.id) AS runs
                    FROM dataset ORDER BY created_at DESC, id DESC
                    """).map { row in (try Store.datasetRecord(row), row["runs"]) }
            }
        }
    }

    /// Deletes a dataset's row, refused while any run uses it (runs keep their dataset: resume, fork and
    /// rerun read it). Returns the file's path, relative to the state directory, for the caller to remove.
    public func deleteDataset(sha256: String) throws -> String {
        try wrap("deleting dataset \(sha256.prefix(12))") {
            try writer.write { db in
                guard let dataset = try datasetRow(db, sql: "SELECT * FROM dataset WHERE sha256 = ?", [sha256]) else {
                    throw StoreError(.notFound, "no dataset \(sha256)")
                }
                let runs = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE dataset_id = ? ORDER BY id", arguments: [dataset.id])
                guard runs.isEmpty else {
                    let listed = runs.prefix(10).map(String.init).joined(separator: ", ") + (runs.count > 10 ? ", …" : "")
                    throw StoreError(.conflict, "dataset \(dataset.name) (\(sha256.prefix(12))) is used by \(runs.count) run\(runs.count == 1 ? "" : "s") (\(listed)); delete those first")
                }
                try db.execute(sql: "DELETE FROM dataset WHERE id = ?", arguments: [dataset.id])
                return dataset.path
            }
        }
    }

    private func datasetRow(_ db: Database, sql: String, _ arguments: StatementArguments) throws -> DatasetRecord? {
        try Row.fetchOne(db, sql: sql, arguments: arguments).map(Store.datasetRecord)
    }

    /// The dataset of a row holding the `dataset` table's columns.
    static func datasetRecord(_ row: Row) throws -> DatasetRecord {
        let id: Int64 = row["id"], kind: String = row["kind"]
        guard let datasetKind = DatasetKind(rawValue: kind) else {
            throw StoreError(.invalidRow, "dataset \(id) has the unknown kind \"\(kind)\" in the database")
        }
        return DatasetRecord(id: id, sha256: row["sha256"], name: row["name"], kind: datasetKind, size: row["size"],
                             path: row["path"], createdAt: row["created_at"])
    }
}
