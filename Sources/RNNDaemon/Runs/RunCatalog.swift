import Foundation
import RNNAPI
import RNNStore
import RNNTraining

/// Runs as the API shows them: a stored run with its live progress, summaries and dataset, mapped to the
/// wire types. Reads only; every controller that answers with a run goes through it.
struct RunCatalog: Sendable {
    let store: Store
    let hub: EventHub

    /// The run, or a 404 naming it.
    func record(_ id: Int64) throws -> RunRecord {
        guard let record = try store.run(id: id) else { throw APIFailure.notFound("no run \(id)") }
        return record
    }

    func info(_ id: Int64) throws -> RunInfo { try info(try record(id)) }

    func info(_ record: RunRecord) throws -> RunInfo {
        var datasets: [Int64: String] = [:]
        return try info(record, datasets: &datasets)
    }

    /// `datasets` caches dataset id → SHA-256 across the runs of one listing.
    func info(_ record: RunRecord, datasets: inout [Int64: String]) throws -> RunInfo {
        if datasets[record.datasetID] == nil {
            guard let dataset = try store.dataset(id: record.datasetID) else {
                throw APIFailure(.internalServerError, "run \(record.id) refers to dataset \(record.datasetID), which is not in the database")
            }
            datasets[record.datasetID] = dataset.sha256
        }
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

    /// The run with its configuration, metric summaries, checkpoints and events.
    func detail(_ id: Int64) throws -> RunDetail {
        let record = try record(id)
        return RunDetail(run: try info(record), config: try Self.config(of: record),
                         metrics: try store.summaries(runID: id),
                         checkpoints: try store.checkpoints(runID: id).map(CheckpointInfo.init),
                         events: try store.events(runID: id).map(EventInfo.init))
    }

    /// The stored configuration; one that does not decode is an error naming the run, never an empty one.
    static func config(of record: RunRecord) throws -> [String: APIValue] {
        do {
            return try APIJSON.decoder.decode([String: APIValue].self, from: Data(record.config.utf8))
        } catch {
            throw APIFailure(.internalServerError, "the stored configuration of run \(record.id) cannot be read: \(error)")
        }
    }
}

extension CheckpointInfo {
    init(_ row: CheckpointRow) {
        self.init(step: row.step, size: row.size, sha256: row.sha256, valLoss: row.valLoss, kind: row.kind, createdAt: row.createdAt)
    }
}

extension EventInfo {
    init(_ row: EventRow) { self.init(id: row.id, at: row.at, kind: row.kind, message: row.message, uid: row.uid, step: row.step) }
}
