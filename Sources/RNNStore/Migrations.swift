import Foundation
import GRDB

/// The schema's migrations: the numbered SQL files of the top-level migrations/ folder, compiled into the
/// binary. A new migration is a new file there and a line here (a test checks the two agree).
enum Migrations {
    static let all: [(id: String, sql: [UInt8])] = [
        ("0001_initial", PackageResources._001_initial_sql),
        ("0002_run_note", PackageResources._002_run_note_sql),
        ("0003_metric_min_max", PackageResources._003_metric_min_max_sql),
        ("0004_sweeps", PackageResources._004_sweeps_sql),
        ("0005_sweep_event_kinds", PackageResources._005_sweep_event_kinds_sql),
    ]

    /// Applies the missing migrations in order, each in its own transaction; refuses a database that has
    /// migrations this binary does not know (written by a newer rnnd), without changing it.
    static func apply(to writer: any DatabaseWriter, path: String) throws {
        var migrator = DatabaseMigrator()
        for (id, sql) in all {
            let text = String(decoding: sql, as: UTF8.self)
            migrator.registerMigration(id) { db in try db.execute(sql: text) }
        }
        try refuseNewer(writer, path: path)
        try migrator.migrate(writer)
    }

    /// Throws `.newerSchema` when the database has a migration this binary does not know.
    static func refuseNewer(_ reader: any DatabaseReader, path: String) throws {
        let known = Set(all.map(\.id))
        let applied = try reader.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw StoreError(.newerSchema, "\(path) was written by a newer rnnd (schema migration \(unknown) is unknown to this binary, which knows up to \(all.last!.id)); upgrade rnnd, or restore a backup made by this version — the database was not changed")
        }
    }

    /// The same check on an existing file before rnnd opens its pool: opening a pool on a WAL database
    /// whose log is empty writes to the log (GRDB makes sure a non-empty one exists), and a database this
    /// binary must refuse is left byte for byte as it was. A single connection that only reads writes nothing.
    static func refuseNewer(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let probe: DatabaseQueue
        do { probe = try DatabaseQueue(path: path) } catch {
            throw StoreError(.database, "cannot open the database \(path): \(error)", cause: error)
        }
        try refuseNewer(probe, path: path)
    }
}
