import Foundation
import RNNAPI
import GRDB
@testable import RNNStore
import Testing
import RNNSupport

func temporaryStore() throws -> (Store, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (try Store(path: directory.appendingPathComponent("rnnd.sqlite").path), directory)
}

extension Store {
    /// A dataset and a run with these hyperparameters.
    func makeRun(_ name: String, _ hyper: [String: HyperValue], tags: [String] = []) throws -> RunRecord {
        let dataset = try addDataset(sha256: String(repeating: "a", count: 64), name: "d.txt", kind: .text, size: 10, path: "datasets/aaa")
        return try createRun(NewRun(name: name, workers: 2, seed: 1, datasetID: dataset.id, config: "{}", hyperparameters: hyper, tags: tags))
    }
}

@Suite struct MigrationTests {
    @Test func embeddedMigrationsEqualTheFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../migrations").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == Migrations.all.map(\.id))
        for (file, migration) in zip(files, Migrations.all) {
            #expect(Array(try Data(contentsOf: folder.appendingPathComponent(file))) == migration.sql, "\(file) differs from the embedded copy")
        }
    }

    /// Sweep event kinds are a closed set in the schema (migration 0005): SQLite refuses any other, and the
    /// rows written before the migration keep their kinds.
    @Test func sweepEventKindsAreCheckedByTheSchema() throws {
        let store = try Store.inMemory(stateDirectory: FileManager.default.temporaryDirectory)
        let columns = try store.writer.read { try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'sweep_event'") } ?? ""
        #expect(columns.contains("CHECK (kind IN ('submitted', 'trial_started', 'result', 'promoted', 'stopped', 'failed', 'completed', 'cancelled'))"), "\(columns)")
        #expect(Set(SweepEventKind.allCases.map(\.rawValue)) == ["submitted", "trial_started", "result", "promoted", "stopped", "failed", "completed", "cancelled"],
                "the enum and the CHECK name the same kinds")
        // Foreign keys off, so that only the CHECK can refuse the row (there is no sweep 1).
        let refused = #expect(throws: DatabaseError.self) {
            try store.writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: "INSERT INTO sweep_event (sweep_id, at, kind, message) VALUES (1, 0, 'bogus', 'm')")
            }
        }
        #expect(refused?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK, "\(String(describing: refused))")
        let accepted = try store.writer.writeWithoutTransaction { db -> Int in
            try db.execute(sql: "INSERT INTO sweep_event (sweep_id, at, kind, message) VALUES (1, 0, 'trial_started', 'm')")
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM sweep_event") ?? 0
        }
        #expect(accepted == 1)
    }

    /// Two decisions to start the same trial: the second is a lost race (`.lostRace`, nothing written), which
    /// the sweep loop ignores — not a refusal (`.conflict`), which it would report.
    @Test func aTrialStartedTwiceIsALostRaceNotARefusal() throws {
        let store = try Store.inMemory(stateDirectory: FileManager.default.temporaryDirectory)
        let dataset = try store.addDataset(sha256: String(repeating: "b", count: 64), name: "d.txt", kind: .text, size: 10, path: "datasets/bbb")
        let sweep = try store.createSweep(SweepRecord(id: 0, name: "s", state: .running, method: .grid, metric: "val_loss", goal: .min, space: "[]",
                                                      baseConfig: "{}", datasetID: dataset.id, seed: 1, maxConcurrent: 1, priority: 0, asha: nil,
                                                      submittedAt: 0, finishedAt: nil, submittedBy: nil),
                                          assignments: ["{}"], message: "submitted")
        let link = TrialLink(sweepID: sweep.id, number: 0, rung: 0, from: .pending)
        func newRun() -> NewRun {
            var run = NewRun(name: "t0", workers: 1, seed: 1, datasetID: dataset.id, config: "{}", hyperparameters: [:], tags: [])
            run.trial = link
            return run
        }
        _ = try store.createRun(newRun())
        let second = #expect(throws: StoreError.self) { try store.createRun(newRun()) }
        #expect(second?.code == .lostRace, "\(String(describing: second))")
        #expect(try store.listRuns().count == 1, "the losing decision wrote nothing")
    }

    /// SQLite's own error stays under the store's (`cause`), so callers can match on its result code.
    @Test func storeErrorsKeepSQLitesError() throws {
        let store = try Store.inMemory(stateDirectory: FileManager.default.temporaryDirectory)
        let error = #expect(throws: StoreError.self) { try store.addEvent(runID: 4242, kind: .notice, message: "no such run") }
        #expect(error?.code == .database)
        #expect((error?.cause as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY, "\(String(describing: error?.cause))")
    }

    @Test func migratesAnEmptyDatabaseAndReopens() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tables = try store.writer.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        #expect(Set(tables).isSuperset(of: ["dataset", "run", "run_tag", "hyperparameter", "metric", "metric_summary", "checkpoint", "event"]))
        let settings = try store.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(settings.0 == "wal" && settings.1 == 1 && settings.2 == 2, "WAL, foreign keys on, synchronous=FULL: \(settings)")
        _ = try store.makeRun("kept", [:])
        let again = try Store(path: store.path)
        #expect(try again.listRuns().count == 1)
    }

    @Test func aNewerDatabaseIsRefusedAndLeftAlone() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.writer.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_future')") }
        // Everything into the main file, so that the database's bytes are the main file and an empty WAL;
        // a refusal that wrote anything would change one of them.
        try store.writer.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        func files() throws -> [Data] { try [store.path, store.path + "-wal"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } }
        let before = try files()
        #expect(before[1].isEmpty, "the WAL is checkpointed")
        do {
            _ = try Store(path: store.path)
            Issue.record("a newer database must be refused")
        } catch let e as StoreError {
            #expect(e.code == .newerSchema && e.message.contains("0099_future"))
        }
        let after = try files()
        #expect(after == before, "the main file and the WAL are byte-identical: \(before.map(\.count)) → \(after.map(\.count)) bytes")
    }
}

@Suite struct RunEditTests {
    /// A database made by the first schema (before notes), with a run, opened by this rnnd: migrated, the run
    /// kept, its note empty, and editable.
    @Test func aVersionOneDatabaseGainsNotesAndKeepsItsRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("rnnd.sqlite").path
        let old = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        let first = Migrations.all[0]
        migrator.registerMigration(first.id) { db in try db.execute(sql: String(decoding: first.sql, as: UTF8.self)) }
        try migrator.migrate(old)
        try old.write { db in
            try db.execute(sql: "INSERT INTO dataset (sha256, name, kind, size, path, created_at) VALUES (?, 'd.txt', 'text', 1, 'datasets/x', 0)",
                           arguments: [String(repeating: "b", count: 64)])
            try db.execute(sql: "INSERT INTO run (name, state, submitted_at, workers, seed, dataset_id, config) VALUES ('old', 'completed', 0, 1, 1, 1, '{}')")
            try db.execute(sql: "INSERT INTO metric_name (id, name) VALUES (1, 'val_loss')")
            try db.execute(sql: "INSERT INTO metric (run_id, name_id, step, value, wall_time) VALUES (1, 1, 1, 2.5, 0), (1, 1, 2, 1.25, 0), (1, 1, 3, 1.5, 0)")
            try db.execute(sql: "INSERT INTO metric_summary (run_id, name, latest_step, latest_value, best_step, best_value, count) VALUES (1, 'val_loss', 3, 1.5, 2, 1.25, 3)")
        }
        try old.close()
        let store = try Store(path: path)
        let run = try #require(try store.run(id: 1))
        #expect(run.name == "old" && run.note == nil)
        // Migration 0003 filled in the minimum and maximum of the summary that existed.
        let summary = try #require(try store.summaries(runID: 1).first)
        #expect(summary.minValue == 1.25 && summary.maxValue == 2.5 && summary.bestValue == 1.25)
        let edited = try store.editRun(id: 1, RunEdit(note: "kept after the upgrade"), uid: 7)
        #expect(edited.note == "kept after the upgrade")
    }

    @Test func summariesKeepMinimumAndMaximumThroughBatchesAndReplays() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = try store.makeRun("a", [:]), b = try store.makeRun("b", [:])
        func points(_ run: Int64, _ values: [(Int, Double)]) -> [MetricPoint] {
            values.map { MetricPoint(runID: run, name: "grad_norm", step: $0.0, value: $0.1, wallTime: 0) }
        }
        try store.recordMetrics(points(a.id, [(1, 3), (2, 0.5)]))
        try store.recordMetrics(points(a.id, [(3, 7), (4, 1)]))
        try store.recordMetrics(points(b.id, [(1, 2), (2, 2.5)]))
        var summary = try #require(try store.summaries(runIDs: [a.id, b.id], names: ["grad_norm"])[a.id]?.first)
        #expect(summary.minValue == 0.5 && summary.maxValue == 7 && summary.latestValue == 1)
        // A replay (after a resume) recomputes from the rows: step 3's 7 is gone.
        try store.recordMetrics(points(a.id, [(3, 2)]))
        summary = try #require(try store.summaries(runID: a.id).first)
        #expect(summary.minValue == 0.5 && summary.maxValue == 3)
        // min. and max. are fields of the filter and sort keys.
        #expect(try store.listRuns(filter: "max.grad_norm > 2.8").map(\.run.name) == ["a"])
        #expect(try store.listRuns(filter: "min.grad_norm >= 2").map(\.run.name) == ["b"])
        #expect(try store.listRuns(sort: ["-min.grad_norm"]).map(\.run.name) == ["b", "a"])
        #expect(try store.summaries(runIDs: [a.id], names: ["nothing"]).isEmpty)
    }

    @Test func editsChangeOnlyWhatTheyNameAndRecordWhoChangedWhat() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("first", ["cell": .text("lstm")], tags: ["old", "keep"])
        let edited = try store.editRun(id: run.id, RunEdit(name: "second", note: "lr too high", addTags: ["best", "keep"], removeTags: ["old", "absent"]), uid: 1000)
        #expect(edited.name == "second" && edited.note == "lr too high" && edited.tags == ["best", "keep"])
        let events = try store.events(runID: run.id).filter { $0.kind == .edited }
        #expect(events.count == 1 && events[0].uid == 1000)
        #expect(events[0].message == "renamed from \"first\" to \"second\"; tags +best -old; note added by uid 1000", "\(events[0].message)")
        // Nothing changes: no event.
        _ = try store.editRun(id: run.id, RunEdit(name: "second", addTags: ["best"], removeTags: ["old"]), uid: 1000)
        #expect(try store.events(runID: run.id).filter { $0.kind == .edited }.count == 1)
        // An empty note removes it; notes are searchable.
        _ = try store.makeRun("other", ["cell": .text("gru")])
        #expect(try store.listRuns(filter: "note ~ 'LR too'").map(\.run.name) == ["second"])
        let cleared = try store.editRun(id: run.id, RunEdit(note: ""), uid: nil)
        #expect(cleared.note == nil)
        #expect(try store.listRuns(filter: "note ~ lr").isEmpty)
        #expect(try store.events(runID: run.id).last?.message == "note removed")
        #expect(throws: StoreError.self) { try store.editRun(id: 999, RunEdit(name: "x"), uid: nil) }
    }
}

@Suite struct QueryTests {
    let store: Store
    let directory: URL
    let ids: [String: Int64]

    init() throws {
        (store, directory) = try temporaryStore()
        var ids: [String: Int64] = [:]
        let runs: [(String, [String: HyperValue], [String])] = [
            ("small-lstm", ["cell": .text("lstm"), "hidden_size": .number(128), "layers": .number(2), "lr": .number(0.02)], ["baseline"]),
            ("big-lstm", ["cell": .text("lstm"), "hidden_size": .number(512), "layers": .number(2), "lr": .number(0.002)], ["big"]),
            ("deep-gru", ["cell": .text("gru"), "hidden_size": .number(256), "layers": .number(3), "lr": .number(0.005)], []),
            ("it's quoted", ["cell": .text("rnn"), "hidden_size": .number(64), "layers": .number(3), "lr": .number(0.1)], ["100%"]),
        ]
        for (name, hyper, tags) in runs { ids[name] = try store.makeRun(name, hyper, tags: tags).id }
        self.ids = ids
        // val_loss summaries: big 1.2, deep 1.5, small 1.9 (no metrics for the quoted one).
        for (name, loss) in [("big-lstm", 1.2), ("deep-gru", 1.5), ("small-lstm", 1.9)] {
            try store.recordMetrics([MetricPoint(runID: ids[name]!, name: "val_loss", step: 10, value: loss + 0.5, wallTime: 1),
                                     MetricPoint(runID: ids[name]!, name: "val_loss", step: 20, value: loss, wallTime: 2)])
        }
    }

    func names(_ filter: String, sort: [String] = ["name"]) throws -> [String] {
        try store.listRuns(filter: filter, sort: sort).map(\.run.name)
    }

    @Test func typedComparisonsAndBooleanCombinations() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try names("hidden_size >= 256") == ["big-lstm", "deep-gru"])
        #expect(try names("lr < 0.01") == ["big-lstm", "deep-gru"], "numbers compare as numbers, not strings")
        #expect(try names("cell = lstm and (hidden_size >= 256 or layers = 3) and best.val_loss < 1.6") == ["big-lstm"])
        #expect(try names("not cell = lstm") == ["deep-gru", "it's quoted"])
        #expect(try names("best.val_loss < 1.6 or tag = baseline", sort: ["best.val_loss"]) == ["big-lstm", "deep-gru", "small-lstm"])
        #expect(try names("tag = '100%'") == ["it's quoted"])
        #expect(try names("name ~ LSTM") == ["big-lstm", "small-lstm"], "~ is a case-insensitive substring match")
        #expect(try names("name ~ '%'") == [], "a % in a value is a literal, not a wildcard")
        #expect(try names("state = queued and submitted >= 2020-01-01") .count == 4)
        #expect(try names("latest.val_loss > 1.4", sort: ["-latest.val_loss"]) == ["small-lstm", "deep-gru"])
    }

    /// Times without a zone are local, in every form rnnctl prints or a user types; a date-time is never read as
    /// its date alone.
    @Test func timesWithoutAZoneAreLocalTimes() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let kolkata = TimeZone(identifier: "Asia/Kolkata")!  // UTC+05:30
        let utc = 1_796_024_520.0  // 2026-11-30T07:42:00Z
        #expect(RunFilter.Parser.parseDate("2026-11-30T07:42:00Z", timeZone: kolkata) == utc)
        #expect(RunFilter.Parser.parseDate("2026-11-30T13:12:00+05:30", timeZone: .gmt) == utc)
        #expect(RunFilter.Parser.parseDate("2026-11-30 13:12:00", timeZone: kolkata) == utc)
        #expect(RunFilter.Parser.parseDate("2026-11-30T13:12:00", timeZone: kolkata) == utc)
        #expect(RunFilter.Parser.parseDate("2026-11-30 13:12", timeZone: kolkata) == utc)
        #expect(RunFilter.Parser.parseDate("2026-11-30", timeZone: kolkata) == utc - (7 * 3600 + 42 * 60) - 5.5 * 3600)
        #expect(RunFilter.Parser.parseDate("2026-11-30T13:12:00junk", timeZone: kolkata) == nil)
        #expect(RunFilter.Parser.parseDate("2026-11-30 25:00:00", timeZone: kolkata) == nil)
        // Through the filter, in this process's zone: the runs were submitted a moment ago.
        let shown = DateFormatter()
        shown.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let hourAgo = shown.string(from: Date().addingTimeInterval(-3600)), hourAhead = shown.string(from: Date().addingTimeInterval(3600))
        #expect(try names("submitted >= '\(hourAgo)'").count == 4)
        #expect(try names("submitted >= '\(hourAhead)'").isEmpty)
        #expect(try names("submitted < \(hourAhead.replacingOccurrences(of: " ", with: "T"))").count == 4)
    }

    @Test func sortingAndPaging() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let sorted = try store.listRuns(sort: ["best.val_loss"]).map(\.run.name)
        #expect(sorted == ["big-lstm", "deep-gru", "small-lstm", "it's quoted"], "runs without the value sort last")
        let page = try store.listRuns(sort: ["-hidden_size"], limit: 2, offset: 1).map(\.run.name)
        #expect(page == ["deep-gru", "small-lstm"])
        #expect(try store.listRuns(sort: ["best.val_loss"], limit: 1).first?.bestValLoss == 1.2)
    }

    @Test func quotesStayQuotesAndInjectionDoesNothing() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try names("name = 'it''s quoted'") == ["it's quoted"])
        #expect(try names(#"name = "x' OR 1=1 --""#) == [])
        #expect(try names("name = 'a''); DROP TABLE run; --'") == [])
        #expect(try store.listRuns().count == 4, "the table is still there")
        #expect(throws: StoreError.self) { try store.listRuns(sort: ["name; DROP TABLE run"]) }
    }

    @Test func badFiltersPointAtThePosition() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        func message(_ filter: String) -> String? {
            do { _ = try store.listRuns(filter: filter); return nil } catch { return (error as? StoreError)?.message }
        }
        #expect(message("hidden_size >=")?.contains("expected a value after >= at position 15") == true)
        #expect(message("(cell = lstm")?.contains("missing \")\"") == true)
        #expect(message("cell = lstm and")?.contains("position 16") == true)
        #expect(message("state = sleeping")?.contains("unknown state") == true)
        #expect(message("hidden_size = 1 2")?.contains("unexpected 2.0 at position 17") == true)
        #expect(message("name = 'open")?.contains("unterminated") == true)
        #expect(message("best.val_loss < low")?.contains("metric summaries are numbers") == true)
        #expect(message("submitted > yesterday")?.contains("ISO 8601") == true)
    }

    @Test func comparisonShowsDifferencesAndSummaries() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = try store.compare(runIDs: [ids["small-lstm"]!, ids["big-lstm"]!])
        #expect(Set(c.differences.keys) == ["hidden_size", "lr"])
        #expect(c.summaries[1].first { $0.name == "val_loss" }?.bestValue == 1.2)
    }
}

@Suite struct MetricTests {
    @Test func replayedStepsReplaceRowsAndSummariesStayTrue() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        try store.recordMetrics((1...10).map { MetricPoint(runID: run, name: "train_loss", step: $0, value: 10 - Double($0) * 0.5, wallTime: 0) })
        // A resume replays steps 8–12 with other values.
        try store.recordMetrics((8...12).map { MetricPoint(runID: run, name: "train_loss", step: $0, value: 7, wallTime: 0) })
        let series = try store.series(runID: run, name: "train_loss")
        #expect(series.count == 12 && series.map(\.step) == Array(1...12))
        let summary = try #require(try store.summaries(runID: run).first)
        #expect(summary.count == 12 && summary.latestStep == 12 && summary.latestValue == 7)
        #expect(summary.bestValue == 6.5 && summary.bestStep == 7, "best after the replay: \(summary)")
        try store.recordMetrics([MetricPoint(runID: run, name: "val_accuracy", step: 1, value: 0.5, wallTime: 0),
                                 MetricPoint(runID: run, name: "val_accuracy", step: 2, value: 0.9, wallTime: 0)])
        #expect(try store.summaries(runID: run).first { $0.name == "val_accuracy" }?.bestValue == 0.9, "accuracy: higher is better")
    }

    @Test func downsamplingKeepsSpikes() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        var points = (0..<10_000).map { MetricPoint(runID: run, name: "train_loss", step: $0, value: 1, wallTime: 0) }
        points[4321].value = 50
        points[777].value = -3
        try store.recordMetrics(points)
        let series = try store.series(runID: run, name: "train_loss", maxPoints: 100)
        #expect(series.count <= 100 && series.count >= 50)
        #expect(series.contains { $0.step == 4321 && $0.value == 50 } && series.contains { $0.step == 777 && $0.value == -3 })
        #expect(series.map(\.step) == series.map(\.step).sorted())
        #expect(try store.series(runID: run, name: "train_loss", steps: 100...199).count == 100)
    }

    @Test func rollupsFollowRangesAndReplays() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        var points = (0..<100_000).map { MetricPoint(runID: run, name: "train_loss", step: $0, value: 1, wallTime: 0) }
        points[50_000].value = 99
        points[1_000].value = 77
        for chunk in stride(from: 0, to: points.count, by: 1000) { try store.recordMetrics(Array(points[chunk..<(chunk + 1000)])) }
        let whole = try store.series(runID: run, name: "train_loss", maxPoints: 1000)
        #expect(whole.count <= 1000 && whole.contains { $0.step == 50_000 && $0.value == 99 } && whole.contains { $0.step == 1_000 && $0.value == 77 })
        // A range whose edges cut rollup buckets: the spike outside is gone, the one inside stays.
        let ranged = try store.series(runID: run, name: "train_loss", steps: 1_234...98_765, maxPoints: 500)
        #expect(ranged.first!.step >= 1_234 && ranged.last!.step <= 98_765)
        #expect(!ranged.contains { $0.value == 77 } && ranged.contains { $0.step == 50_000 && $0.value == 99 })
        // A replay lowers the spike: the rebuilt rollup no longer shows 99.
        try store.recordMetrics((49_990..<50_010).map { MetricPoint(runID: run, name: "train_loss", step: $0, value: 2, wallTime: 0) })
        let replayed = try store.series(runID: run, name: "train_loss", maxPoints: 1000)
        #expect(!replayed.contains { $0.value == 99 } && replayed.contains { $0.value == 2 })
    }

    @Test func oneWriterAndSeveralReadersNeverSeeLocked() async throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        let writer = MetricWriter(store: store, batchSize: 500)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for step in 0..<20_000 { writer.record([MetricPoint(runID: run, name: "train_loss", step: step, value: Double(step), wallTime: 0)]) }
                try writer.flush()
            }
            for _ in 0..<3 {
                group.addTask {
                    for _ in 0..<200 {
                        _ = try store.series(runID: run, name: "train_loss", maxPoints: 200)
                        _ = try store.listRuns(filter: "best.train_loss >= 0")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(writer.lastError == nil)
        #expect(try store.summaries(runID: run).first?.count == 20_000)
    }
}

@Suite struct CheckpointAndLifecycleTests {
    @Test func aCheckpointRowCarriesWhatItsFileIs() throws {
        let store = try Store.inMemory(stateDirectory: FileManager.default.temporaryDirectory)
        let run = try store.makeRun("r", [:]).id
        let row = try store.addCheckpoint(runID: run, step: 10, path: "checkpoints/\(run)/10.ckpt", size: 100, sha256: String(repeating: "c", count: 64),
                                          valLoss: 1.5, kind: .best)
        #expect(row.step == 10 && row.kind == .best && row.size == 100 && row.sha256 == String(repeating: "c", count: 64) && row.valLoss == 1.5)
        #expect(try store.events(runID: run).map(\.kind) == [.submitted, .checkpoint])
    }

    @Test func retentionDeletionStatesAndBackup() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        let folder = directory.appendingPathComponent("checkpoints/\(run)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (step, loss) in [(10, 2.0), (20, 1.0), (30, 1.5), (40, 1.7), (50, 1.8)] {
            try Data(count: 8).write(to: folder.appendingPathComponent("\(step).ckpt"))
            _ = try store.addCheckpoint(runID: run, step: step, path: "checkpoints/\(run)/\(step).ckpt", size: 8, sha256: String(repeating: "0", count: 64),
                                        valLoss: loss, kind: .periodic)
        }
        let retired = try store.applyRetention(runID: run, keepLast: 2, keepBest: 1)
        #expect(Set(retired) == ["checkpoints/\(run)/10.ckpt", "checkpoints/\(run)/30.ckpt"])
        #expect(try store.checkpoints(runID: run).map(\.step) == [20, 40, 50])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 5, "the files are their owner's to remove, after the rows")

        #expect(try store.transition(runID: run, to: .running, cause: "started by the scheduler") == .moved(from: .queued))
        #expect(throws: StoreError.self, "a running run is not deleted") { try store.deleteRun(id: run) }
        #expect(try store.transition(runID: run, to: .cancelled, cause: "cancelled by uid 1000", uid: 1000) == .moved(from: .running))
        #expect(try store.transition(runID: run, to: .running, cause: "a late start") == .refused(current: .cancelled),
                "a cancelled run never runs again")
        let record = try #require(try store.run(id: run))
        #expect(record.state == .cancelled && record.startedAt != nil && record.finishedAt != nil)
        let events = try store.events(runID: run)
        #expect(events.map(\.kind) == [.submitted, .checkpoint, .checkpoint, .checkpoint, .checkpoint, .checkpoint, .running, .cancelled])
        #expect(events.last?.uid == 1000)

        let backup = directory.appendingPathComponent("backup.sqlite").path
        try store.backup(to: backup)
        #expect(try Store(path: backup).run(id: run)?.state == .cancelled)
        #expect(throws: StoreError.self) { try store.backup(to: backup) }

        let paths = try store.deleteRun(id: run)
        #expect(Set(paths) == ["checkpoints/\(run)/20.ckpt", "checkpoints/\(run)/40.ckpt", "checkpoints/\(run)/50.ckpt"])
        #expect(try store.run(id: run) == nil && store.events(runID: run).isEmpty && store.checkpoints(runID: run).isEmpty)
        #expect(try store.series(runID: run, name: "train_loss").isEmpty)
    }
}

@Suite struct StateMachineTests {
    @Test func concurrentTransitionsHaveOneWinner() async throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        for _ in 0..<20 {
            let run = try store.makeRun("r", [:]).id
            // Eight callers race to start the same queued run, and eight to cancel it.
            let outcomes = try await withThrowingTaskGroup(of: (RunState, Store.Transition).self) { group in
                for i in 0..<16 {
                    let target: RunState = i % 2 == 0 ? .running : .cancelled
                    group.addTask { (target, try store.transition(runID: run, to: target, cause: "race \(i)")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let moved = outcomes.filter { $0.1.moved }
            let events = try store.events(runID: run).filter { $0.kind.enteredState != nil }.map(\.kind)
            // Either the start won (then one cancel may follow it) or a cancel won (and nothing follows).
            #expect(events == [.submitted, .running, .cancelled] || events == [.submitted, .cancelled], "\(events)")
            #expect(moved.count == events.count - 1, "every move has its event and no other: \(moved.map(\.0)) vs \(events)")
        }
    }

    @Test func unknownValuesReadBackAreErrorsNamingTheRow() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        try store.writer.write { db in
            try db.execute(sql: "INSERT INTO event (run_id, at, kind, message) VALUES (?, 0, 'exploded', 'x')", arguments: [run])
        }
        do {
            _ = try store.events(runID: run)
            Issue.record("an unknown event kind must not be read as something else")
        } catch let error as StoreError {
            #expect(error.code == .invalidRow && error.message.contains("event") && error.message.contains("\"exploded\""), "\(error)")
        }
    }

    @Test func writerStopsGrowingWhenTheDatabaseRefusesWrites() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try store.makeRun("r", [:]).id
        let writer = MetricWriter(store: store, batchSize: 10, interval: 3600, capacity: 100)
        // A database that cannot be written: the points stay queued up to the capacity, the error says why.
        try store.writer.write { db in try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON metric BEGIN SELECT RAISE(ABORT, 'disk on fire'); END") }
        for step in 0..<50 { writer.record([MetricPoint(runID: run, name: "train_loss", step: step, value: 1, wallTime: 0)]) }
        #expect(throws: StoreError.self) { try writer.flush() }
        #expect(writer.lastError?.message.contains("disk on fire") == true, "\(String(describing: writer.lastError))")
        for step in 50..<200 { writer.record([MetricPoint(runID: run, name: "train_loss", step: step, value: 1, wallTime: 0)]) }
        #expect(writer.lastError != nil)
        // Writable again: what was kept is written, and the error clears.
        try store.writer.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        try writer.flush()
        #expect(writer.lastError == nil)
        let count = try store.summaries(runID: run).first?.count ?? 0
        #expect(count == 100, "the writer kept its capacity, no more and no less: \(count)")
    }
}

@Suite struct DatasetTests {
    @Test func oneRowPerContentAndVacuum() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hash = SHA256Hex.hex(Array("hello".utf8))
        let a = try store.addDataset(sha256: hash, name: "a.txt", kind: .text, size: 5, path: "datasets/\(hash)")
        let b = try store.addDataset(sha256: hash, name: "copy.txt", kind: .text, size: 5, path: "datasets/\(hash)")
        #expect(a == b && b.name == "a.txt", "the same content is one row, whatever the upload's name")
        #expect(try store.dataset(sha256: hash)?.id == a.id)
        #expect(throws: StoreError.self, "a malformed hash is refused by the schema") {
            try store.addDataset(sha256: "abc", name: "x", kind: .text, size: 1, path: "datasets/abc")
        }
        #expect(try store.dataset(id: a.id) == a)
    }
}

@Suite struct SHA256Tests {
    /// FIPS 180-4 test vectors, and one longer than a block.
    @Test func knownDigests() {
        #expect(SHA256Hex.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hex.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hex.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var hasher = SHA256Hex()
        for _ in 0..<1000 { hasher.update(Array(repeating: UInt8(ascii: "a"), count: 1000)) }
        #expect(hasher.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "one million a")
    }
}
