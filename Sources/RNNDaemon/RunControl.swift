import Foundation
import Logging
import RNNAPI
import RNNCore
import RNNStore
import RNNTraining

/// What the API does, apart from HTTP: validation, submission, state changes, fork, datasets, models.
/// Everything is checked before anything is stored.
final class RunControl: Sendable {
    let store: Store
    let scheduler: Scheduler
    let hub: EventHub
    let settings: DaemonSettings
    let cores: Int

    init(store: Store, scheduler: Scheduler, hub: EventHub, settings: DaemonSettings) {
        self.store = store
        self.scheduler = scheduler
        self.hub = hub
        self.settings = settings
        cores = ProcessInfo.processInfo.activeProcessorCount
    }

    // MARK: datasets

    static func isSHA256(_ s: String) -> Bool { s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }

    /// The dataset a path names (`/v1/datasets/{sha256}`: a missing one is a 404), or that a request body's
    /// `dataset` field refers to (`inBody`: a 422 naming the field — the operation's own resource exists).
    func dataset(sha256: String, inBody: Bool = false) throws -> DatasetRecord {
        guard Self.isSHA256(sha256) else { throw APIFailure.badRequest("\"\(sha256)\" is not a SHA-256 (64 lowercase hex digits)", field: "dataset") }
        guard let record = try store.dataset(sha256: sha256) else {
            let message = "no dataset with SHA-256 \(sha256); upload it first"
            throw inBody ? APIFailure(.unprocessableContent, message, field: "dataset") : APIFailure.notFound(message)
        }
        return record
    }

    /// The dataset a run trains on.
    func dataset(of run: RunRecord) throws -> DatasetRecord {
        guard let dataset = try store.dataset(id: run.datasetID) else {
            throw APIFailure(.internalServerError, "run \(run.id) refers to dataset \(run.datasetID), which is not in the database")
        }
        return dataset
    }

    /// Removes a temporary file (an upload's, a backup's); a failure is logged: it is only disk space.
    func removeLeftover(_ url: URL) {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            scheduler.logger.warning("cannot remove the temporary file \(url.path): \(error)")
        }
    }

    func datasetBytes(_ record: DatasetRecord) throws -> [UInt8] {
        let url = store.stateDirectory.appendingPathComponent(record.path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw APIFailure.conflict("the file of dataset \(record.name) (\(record.sha256.prefix(12))) is missing from the state directory "
                                      + "(\(url.path)); upload the same file again to restore it")
        }
        do {
            return try Array(Data(contentsOf: url))
        } catch {
            throw APIFailure(.internalServerError, "dataset \(record.sha256) cannot be read: \(error.localizedDescription)")
        }
    }

    // MARK: runs

    func info(_ record: RunRecord, datasets: inout [Int64: String]) throws -> RunInfo {
        if datasets[record.datasetID] == nil { datasets[record.datasetID] = try dataset(of: record).sha256 }
        let summaries = Dictionary(try store.summaries(runID: record.id).map { ($0.name, $0) }) { a, _ in a }
        let live = record.state == .running ? hub.progress(runID: record.id) : nil
        let config = try Self.config(of: record)
        let maxSteps: Int = if case .int(let v)? = config["max_steps"] { v } else { 0 }
        let step = live?.step ?? summaries[MetricName.trainLoss]?.latestStep ?? 0
        var eta: Double?
        if let rate = live?.stepsPerSecond, rate > 0, maxSteps > step { eta = Double(maxSteps - step) / rate }
        return RunInfo(id: record.id, name: record.name, state: record.state, priority: record.priority,
                       submittedAt: record.submittedAt, startedAt: record.startedAt, finishedAt: record.finishedAt,
                       submittedBy: record.submittedBy, workers: record.workers, seed: record.seed, dataset: datasets[record.datasetID]!,
                       restarts: record.restarts, failure: record.failure, parentRunId: record.parentRunID,
                       parentCheckpointStep: record.parentCheckpointStep, tags: record.tags, step: step, maxSteps: maxSteps,
                       epoch: live?.epoch ?? summaries[MetricName.epoch].map { Int($0.latestValue) },
                       trainLoss: live?.trainLoss ?? summaries[MetricName.trainLoss]?.latestValue,
                       valLoss: summaries[MetricName.valLoss]?.latestValue, bestValLoss: summaries[MetricName.valLoss]?.bestValue,
                       tokensPerSecond: live?.tokensPerSecond, etaSeconds: eta, note: record.note,
                       sweepId: record.sweepID)
    }

    /// The stored configuration; one that does not decode is an error naming the run, never an empty one.
    static func config(of record: RunRecord) throws -> [String: APIValue] {
        do {
            return try APIJSON.decoder.decode([String: APIValue].self, from: Data(record.config.utf8))
        } catch {
            throw APIFailure(.internalServerError, "the stored configuration of run \(record.id) cannot be read: \(error)")
        }
    }

    func info(_ record: RunRecord) throws -> RunInfo {
        var datasets: [Int64: String] = [:]
        return try info(record, datasets: &datasets)
    }

    func record(_ id: Int64) throws -> RunRecord {
        guard let record = try store.run(id: id) else { throw APIFailure.notFound("no run \(id)") }
        return record
    }

    func detail(_ id: Int64) throws -> RunDetail {
        let record = try record(id)
        let config = try Self.config(of: record)
        return RunDetail(run: try info(record), config: config,
                         metrics: try store.summaries(runID: id),
                         checkpoints: try store.checkpoints(runID: id).map(Self.checkpoint),
                         events: try store.events(runID: id).map(Self.event))
    }

    static func checkpoint(_ c: CheckpointRow) -> CheckpointInfo {
        CheckpointInfo(step: c.step, size: c.size, sha256: c.sha256, valLoss: c.valLoss, kind: c.kind, createdAt: c.createdAt)
    }
    static func event(_ e: EventRow) -> EventInfo { EventInfo(id: e.id, at: e.at, kind: e.kind, message: e.message, uid: e.uid, step: e.step) }

    /// Validates a submission completely — configuration, dataset, the data against the configuration, the
    /// memory budget — and only then stores the run (queued); `trial` links it to a sweep's trial.
    func submit(_ request: SubmitRequest, uid: Int?, trial: TrialLink? = nil) async throws -> RunInfo {
        var (run, notices) = try await prepare(request, uid: uid)
        run.trial = trial
        let record = try store.createRun(run)
        for notice in notices { try store.addEvent(runID: record.id, kind: .notice, message: notice, uid: uid) }
        scheduler.schedule()
        return try info(record)
    }

    /// Everything `submit` checks, and the run it would store with the notices it would record; stores nothing.
    func prepare(_ request: SubmitRequest, uid: Int?) async throws -> (NewRun, [String]) {
        let dataset = try dataset(sha256: request.dataset, inBody: true)
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
        let config = try RunConfig(submitted)
        if !config.hosts.isEmpty, let problem = MultiHostRun.problem(hosts: config.hosts, batchSize: config.batchSize, settings: settings.mpi) {
            throw APIFailure.badRequest(problem, field: "hosts")
        }
        if config.valFraction == 0 { notices.append("val_fraction is 0: this run has no validation, so no val_loss, no best checkpoint and no early stopping") }
        let bytes = try datasetBytes(dataset)
        if let given = request.datasetName, given.isEmpty || given.count > 200 {
            throw APIFailure.badRequest("dataset_name must have 1 to 200 characters", field: "dataset_name")
        }
        let reportedName = request.datasetName ?? dataset.name
        try await offload { [settings] in
            let data = try DatasetLoader.load(kind: dataset.kind, bytes: bytes, name: reportedName, config: config)
            try MemoryEstimate(config: config, data: data).check(budgetMB: settings.memoryBudgetMB)
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
        return try info(try store.editRun(id: id, edit, uid: uid))
    }

    static func hyperparameters(_ config: RunConfig) -> [String: HyperValue] {
        config.values.mapValues { value in
            switch value {
            case .int(let i): .number(Double(i))
            case .double(let d): .number(d)
            default: .text(value.description)
            }
        }
    }

    /// Keys a fork may not change: they shape the parameters, the optimizer state or the carried state.
    static let shapeKeys: Set<String> = ["task", "cell", "layers", "hidden_size", "embedding_size", "input_columns", "target_columns",
                                         "horizon", "num_classes", "optimizer", "batch_size", "seq_len", "val_fraction"]

    /// A new run that starts from one of `parentID`'s checkpoints with changed training keys. The
    /// checkpoint file is copied to the new run, so the fork does not depend on the parent's retention.
    func fork(_ parentID: Int64, _ request: ForkRequest, uid: Int?, trial: TrialLink? = nil) throws -> RunInfo {
        let parent = try record(parentID)
        let chosen = try checkpoint(of: parentID, request.checkpoint)
        let overrides = request.set ?? [:]
        if let key = overrides.keys.sorted().first(where: { Self.shapeKeys.contains($0) }) {
            throw APIFailure.badRequest("\(key) cannot change in a fork: it shapes the model or its state (changeable: the other keys, such as lr)", field: key)
        }
        var values = try RunConfig(json: Data(parent.config.utf8)).values.merging(overrides) { $1 }
        if case .int(let w)? = values["workers"], w > cores { values["workers"] = .int(cores) }
        let config = try RunConfig(values)
        if config.maxSteps > 0 && config.maxSteps <= chosen.step {
            throw APIFailure.badRequest("max_steps \(config.maxSteps) is not beyond the checkpoint's step \(chosen.step)", field: "max_steps")
        }
        let run = try store.createRun(NewRun(
            name: request.name ?? "\(parent.name)-fork", workers: config.workers, seed: Int64(config.seed), datasetID: parent.datasetID,
            config: String(decoding: config.json, as: UTF8.self), hyperparameters: Self.hyperparameters(config), tags: parent.tags,
            priority: request.priority ?? parent.priority, submittedBy: uid, parentRunID: parentID, parentCheckpointStep: chosen.step,
            trial: trial))
        do {
            let directory = store.stateDirectory.appendingPathComponent(RunJob.checkpointDirectory(run.id))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let relative = RunJob.checkpointDirectory(run.id) + "/\(chosen.step).ckpt"
            let target = store.stateDirectory.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.copyItem(at: store.stateDirectory.appendingPathComponent(chosen.path), to: target)
            let copy = try store.addCheckpoint(runID: run.id, step: chosen.step, path: relative, size: chosen.size, valLoss: chosen.valLoss, kind: chosen.kind)
            guard copy.sha256 == chosen.sha256 else { throw DaemonError(.io, "the copy's SHA-256 differs from the original's") }
            try store.addEvent(runID: run.id, kind: .forked, message: "forked from run \(parentID) at step \(chosen.step)" +
                               (overrides.isEmpty ? "" : " with " + overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }.joined(separator: ", ")), uid: uid)
        } catch {
            do { try store.deleteRun(id: run.id) } catch {
                scheduler.logger.error("cannot remove the half-made fork \(run.id): \(error)")
            }
            throw APIFailure(.internalServerError, "cannot copy the checkpoint of step \(chosen.step): \(error)")
        }
        scheduler.schedule()
        return try info(try record(run.id))
    }

    /// "latest" (default), "best" (lowest val_loss) or a step.
    func checkpoint(of runID: Int64, _ which: String?) throws -> CheckpointRow {
        _ = try record(runID)
        let rows = try store.checkpoints(runID: runID)
        let chosen: CheckpointRow?
        switch which ?? "latest" {
        case "latest": chosen = rows.last
        case "best": chosen = rows.filter { $0.valLoss != nil }.min { $0.valLoss! < $1.valLoss! } ?? rows.last
        case let text:
            guard let step = Int(text) else { throw APIFailure.badRequest("checkpoint must be best, latest or a step number, got \"\(text)\"", field: "checkpoint") }
            guard let row = rows.first(where: { $0.step == step }) else {
                throw APIFailure.notFound("run \(runID) has no checkpoint at step \(step) (it has: \(rows.map { String($0.step) }.joined(separator: ", ")))")
            }
            chosen = row
        }
        guard let chosen else { throw APIFailure.conflict("run \(runID) has no checkpoint yet") }
        return chosen
    }

    func model(of runID: Int64, _ which: String?) async throws -> (TrainedModel, Int) {
        let row = try checkpoint(of: runID, which)
        let url = store.stateDirectory.appendingPathComponent(row.path)
        return try await offload { (try TrainedModel(checkpoint: try Checkpoint.read(from: url)), row.step) }
    }

    // MARK: state changes

    static func by(_ uid: Int?) -> String { uid.map { " by uid \($0)" } ?? "" }

    /// Cancels a queued, paused or interrupted run at once; a running one at its next step boundary, after a
    /// checkpoint. The request is recorded only while the run is running, and once recorded it decides the
    /// run's end (`Store.leaveRunning`) — also if rnnd stops first. A run that had already ended is a 409 that
    /// says so.
    func cancel(_ id: Int64, uid: Int?) throws -> RunInfo {
        try stop(id, .cancel(uid: uid), uid: uid, directlyFrom: [.queued, .paused, .interrupted])
    }

    /// Pauses a queued or interrupted run at once; a running one at its next step boundary, with a checkpoint
    /// (recorded as a cancel is, with the same promise).
    func pause(_ id: Int64, uid: Int?) throws -> RunInfo {
        try stop(id, .pause(uid: uid), uid: uid, directlyFrom: [.queued, .interrupted])
    }

    private func stop(_ id: Int64, _ request: StopRequest, uid: Int?, directlyFrom sources: Set<RunState>) throws -> RunInfo {
        let (target, verb, intent): (RunState, String, StopIntent) = switch request {
        case .cancel: (.cancelled, "cancel", .cancel(uid: uid))
        case .pause: (.paused, "pause", .pause(uid: uid))
        }
        // The run may move between the two writes (a running run that pauses, a queued one that starts):
        // then the other write applies on the next round.
        for _ in 0..<8 {
            switch try store.transition(runID: id, to: target, from: sources, cause: "\(target)" + Self.by(uid), uid: uid) {
            case .moved:
                hub.publish(runID: id, ProgressEvent(kind: .state, state: target, message: "\(target)"))
                return try info(try record(id))
            case .refused(.running):
                let job = scheduler.job(id)
                let record = { try self.store.requestStop(runID: id, request, message: "\(verb) requested" + Self.by(uid)) }
                // Recorded in the order of the job's reports, so that no checkpoint written before the request
                // appears after it.
                guard try (job.map { try $0.inRecordOrder(record) } ?? record()) == .running else { continue }
                job?.requestStop(intent)
                return try info(try self.record(id))
            case .refused(let state) where state.isFinal:
                throw APIFailure.conflict("run \(id) had already \(state == .cancelled ? "been cancelled" : state.rawValue); nothing to \(verb)")
            case .refused(let state):
                throw APIFailure.conflict("run \(id) is \(state); only \(sources.sorted { $0.rawValue < $1.rawValue }.map(\.rawValue).joined(separator: ", ")) or running runs can be \(target == .cancelled ? "cancelled" : "paused")")
            }
        }
        throw APIFailure.conflict("run \(id) kept changing state; ask again")
    }

    /// Requeues a paused run; it continues from its last checkpoint.
    func resume(_ id: Int64, uid: Int?) throws -> RunInfo {
        let cause = "resume asked" + Self.by(uid) + "; continues from its last checkpoint"
        guard case .moved = try store.transition(runID: id, to: .queued, from: [.paused], cause: cause, uid: uid) else {
            throw APIFailure.conflict("run \(id) is \(try record(id).state), not paused")
        }
        hub.publish(runID: id, ProgressEvent(kind: .state, state: .queued, message: "queued"))
        scheduler.schedule()
        return try info(try record(id))
    }

    /// Deletes a run that is not running (checked in the deleting transaction), then its checkpoint folder.
    func delete(_ id: Int64, force: Bool = false) throws {
        try store.deleteRun(id: id, force: force)
        let folder = store.stateDirectory.appendingPathComponent(RunJob.checkpointDirectory(id))
        do {
            if FileManager.default.fileExists(atPath: folder.path) { try FileManager.default.removeItem(at: folder) }
        } catch {
            // The rows are gone; what is left is only disk space, which the log names.
            scheduler.logger.warning("cannot remove \(folder.path) of deleted run \(id): \(error)")
        }
    }
}

/// Runs CPU-bound work (loading a dataset, a model) on a Dispatch queue, off the server's event loops and
/// the Swift concurrency pool.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
