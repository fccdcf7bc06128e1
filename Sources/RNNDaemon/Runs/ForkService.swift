import Foundation
import Logging
import RNNAPI
import RNNStore
import RNNTraining

/// Forks: a new run that continues from one of another run's checkpoints with changed training keys.
struct ForkService: Sendable {
    let store: Store, catalog: RunCatalog, models: ModelService, scheduler: Scheduler
    let directory: StateDirectory, logger: Logger
    let cores = ProcessInfo.processInfo.activeProcessorCount

    /// A new run that starts from one of `parentID`'s checkpoints with changed training keys. The
    /// checkpoint file is copied to the new run, so the fork does not depend on the parent's retention.
    func fork(_ parentID: Int64, _ request: ForkRequest, uid: Int?, trial: TrialLink? = nil) throws -> RunInfo {
        let parent = try catalog.record(parentID)
        let chosen = try models.checkpoint(of: parentID, request.checkpoint)
        let overrides = request.set ?? [:]
        if let key = overrides.keys.sorted().first(where: { RunConfig.shapeKeys.contains($0) }) {
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
            config: String(decoding: config.json, as: UTF8.self), hyperparameters: RunService.hyperparameters(config), tags: parent.tags,
            priority: request.priority ?? parent.priority, submittedBy: uid, parentRunID: parentID, parentCheckpointStep: chosen.step,
            trial: trial))
        do {
            try FileManager.default.createDirectory(at: directory.checkpointFolder(runID: run.id), withIntermediateDirectories: true)
            let relative = StateDirectory.checkpointPath(runID: run.id, step: chosen.step)
            let target = directory.url(relative)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.copyItem(at: directory.url(chosen.path), to: target)
            let copy = try directory.checkpointFile(relative, size: chosen.size)
            guard copy.sha256 == chosen.sha256 else { throw DaemonError(.io, "the copy's SHA-256 differs from the original's") }
            try store.addCheckpoint(runID: run.id, step: chosen.step, path: relative, size: copy.size, sha256: copy.sha256,
                                    valLoss: chosen.valLoss, kind: chosen.kind)
            try store.addEvent(runID: run.id, kind: .forked, message: "forked from run \(parentID) at step \(chosen.step)" +
                               (overrides.isEmpty ? "" : " with " + overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }.joined(separator: ", ")), uid: uid)
        } catch {
            do { try store.deleteRun(id: run.id) } catch {
                logger.error("cannot remove the half-made fork \(run.id): \(error)")
            }
            throw APIFailure(.internalServerError, "cannot copy the checkpoint of step \(chosen.step): \(error)")
        }
        scheduler.schedule()
        return try catalog.info(run.id)
    }
}
