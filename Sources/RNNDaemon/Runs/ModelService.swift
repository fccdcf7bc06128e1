import RNNAPI
import RNNStore
import RNNTraining

/// A run's trained model, read from one of its checkpoints.
struct ModelService: Sendable {
    let store: Store
    let catalog: RunCatalog
    let directory: StateDirectory

    /// The latest (default), the best (lowest val_loss; the latest when none has one) or a step's checkpoint.
    func checkpoint(of runID: Int64, _ which: CheckpointChoice?) throws -> CheckpointRow {
        _ = try catalog.record(runID)
        let rows = try store.checkpoints(runID: runID)
        let chosen: CheckpointRow?
        switch which ?? .latest {
        case .latest: chosen = rows.last
        case .best: chosen = rows.filter { $0.valLoss != nil }.min { $0.valLoss! < $1.valLoss! } ?? rows.last
        case .step(let step):
            guard let row = rows.first(where: { $0.step == step }) else {
                throw APIFailure.notFound("run \(runID) has no checkpoint at step \(step) (it has: \(rows.map { String($0.step) }.joined(separator: ", ")))")
            }
            chosen = row
        }
        guard let chosen else { throw APIFailure.conflict("run \(runID) has no checkpoint yet") }
        return chosen
    }

    /// The model of the chosen checkpoint, and its step; read off the server's event loops.
    func model(of runID: Int64, _ which: CheckpointChoice?) async throws -> (TrainedModel, Int) {
        let row = try checkpoint(of: runID, which)
        let url = directory.url(row.path)
        return try await offload { (try TrainedModel(checkpoint: try Checkpoint.read(from: url)), row.step) }
    }
}
