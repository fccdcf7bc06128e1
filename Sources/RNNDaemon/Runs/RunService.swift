import Foundation
import Logging
import RNNAPI
import RNNStore
import RNNTraining

/// Runs as records: submit (everything checked before anything is stored), edit, delete.
struct RunService: Sendable {
    let store: Store, catalog: RunCatalog, datasets: DatasetService, scheduler: Scheduler
    let directory: StateDirectory, settings: DaemonSettings, logger: Logger
    /// The machine's cores: a run asking for more workers is clamped to them, with a notice.
    let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Validates a submission completely — configuration, dataset, the data against the configuration, the
    /// memory budget — and only then stores the run (queued); `trial` links it to a sweep's trial.
    func submit(_ request: SubmitRequest, uid: Int?, trial: TrialLink? = nil) async throws -> RunInfo {
        var (run, notices) = try await prepare(request, uid: uid)
        run.trial = trial
        let record = try store.createRun(run)
        for notice in notices { try store.addEvent(runID: record.id, kind: .notice, message: notice, uid: uid) }
        scheduler.schedule()
        return try catalog.info(record)
    }

    /// Everything `submit` checks, and the run it would store with the notices it would record; stores nothing.
    func prepare(_ request: SubmitRequest, uid: Int?) async throws -> (NewRun, [String]) {
        let dataset = try datasets.find(sha256: request.dataset, inBody: true)
        let origin = try request.derivedFrom.map { id -> RunRecord in
            guard let run = try store.run(id: id) else { throw APIFailure.badRequest("derived_from: no run \(id)", field: "derived_from") }
            return run
        }
        try Self.checkName(request.name)
        try Self.checkTags(request.tags ?? [], field: "tags")
        var submitted = request.config
        var notices: [String] = []
        // A CSV dataset is a time series: its task is regression unless the submission says otherwise.
        if dataset.kind == .csv && submitted["task"] == nil { submitted["task"] = .string("regression") }
        let asked: Int
        switch submitted["workers"] {
        case .int(let w)?: asked = w
        case nil: asked = settings.workers
        default: asked = 0  // RunConfig names the type error below
        }
        if asked > cores {
            notices.append("workers clamped from \(asked) to \(cores), the machine's cores")
            submitted["workers"] = .int(cores)
        } else if asked > 0 {
            submitted["workers"] = .int(asked)
        }
        let bytes = try datasets.bytes(dataset)
        // JSON Lines say their own length: a submission that leaves seq_len out takes it from the file.
        if dataset.kind == .jsonl, submitted["seq_len"] == nil, let longest = SequenceFile.longestExample(bytes) {
            submitted["seq_len"] = .int(longest)
            notices.append("seq_len \(longest): the length of the examples of \(request.datasetName ?? dataset.name)")
        }
        let config = try RunConfig(submitted)
        if !config.hosts.isEmpty, let problem = MultiHostRun.problem(hosts: config.hosts, batchSize: config.batchSize, settings: settings.mpi) {
            throw APIFailure.badRequest(problem, field: "hosts")
        }
        if config.valFraction == 0 { notices.append("val_fraction is 0: this run has no validation, so no val_loss, no best checkpoint and no early stopping") }
        if let given = request.datasetName, given.isEmpty || given.count > 200 {
            throw APIFailure.badRequest("dataset_name must have 1 to 200 characters", field: "dataset_name")
        }
        let reportedName = request.datasetName ?? dataset.name
        notices += try await offload { [settings] in
            let data = try DatasetLoader.load(kind: dataset.kind, bytes: bytes, name: reportedName, config: config)
            try MemoryEstimate(config: config, data: data).check(budgetMB: settings.memoryBudgetMB)
            return data.notices
        }
        let name = request.name ?? "\(config.cell.rawValue)-\(config.layers)x\(config.hiddenSize)-\(dataset.name)"
        let run = NewRun(
            name: name, workers: config.workers, seed: Int64(config.seed), datasetID: dataset.id,
            config: String(decoding: config.json, as: UTF8.self), hyperparameters: Self.hyperparameters(config),
            tags: request.tags ?? [], priority: request.priority ?? 0, submittedBy: uid)
        if let origin { notices.insert("derived from run \(origin.id) (\(origin.name)): its configuration and dataset, with changes", at: 0) }
        return (run, notices)
    }

    static func checkName(_ name: String?) throws {
        if let name, name.isEmpty || name.count > 200 { throw APIFailure.badRequest("name must have 1 to 200 characters", field: "name") }
    }

    static func checkTags(_ tags: [String], field: String) throws {
        if let bad = tags.first(where: { $0.isEmpty || $0.count > 100 || $0.contains(",") || $0.first!.isWhitespace || $0.last!.isWhitespace }) {
            throw APIFailure.badRequest("tag \"\(bad)\" must have 1 to 100 characters, no comma and no space at either end", field: field)
        }
    }

    /// The configuration typed for queries: numbers as numbers, everything else as text.
    static func hyperparameters(_ config: RunConfig) -> [String: HyperValue] {
        config.values.mapValues { value in
            switch value {
            case .int(let i): .number(Double(i))
            case .double(let d): .number(d)
            default: .text(value.description)
            }
        }
    }

    /// Renames a run, changes its tags or its note, in any state (the trainer reads none of them); the
    /// `edited` event says what changed and who asked.
    func edit(_ id: Int64, _ request: EditRequest, uid: Int?) throws -> RunInfo {
        try Self.checkName(request.name)
        try Self.checkTags(request.addTags ?? [], field: "add_tags")
        try Self.checkTags(request.removeTags ?? [], field: "remove_tags")
        if let note = request.note, note.count > 10_000 { throw APIFailure.badRequest("note must have at most 10000 characters", field: "note") }
        if let both = (request.addTags ?? []).first(where: { (request.removeTags ?? []).contains($0) }) {
            throw APIFailure.badRequest("tag \"\(both)\" is both added and removed", field: "remove_tags")
        }
        let edit = RunEdit(name: request.name, note: request.note, addTags: request.addTags ?? [], removeTags: request.removeTags ?? [])
        return try catalog.info(try store.editRun(id: id, edit, uid: uid))
    }

    /// Deletes a run that is not running (checked in the deleting transaction), then its checkpoint folder.
    func delete(_ id: Int64, force: Bool = false) throws {
        try store.deleteRun(id: id, force: force)
        // The rows are gone; what is left is only disk space, which the log names.
        directory.removeLeftover(directory.checkpointFolder(runID: id), what: "the checkpoints of deleted run \(id)", logger: logger)
    }
}

/// Runs CPU-bound work (loading a dataset, a model) on a Dispatch queue, off the server's event loops and
/// the Swift concurrency pool.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
