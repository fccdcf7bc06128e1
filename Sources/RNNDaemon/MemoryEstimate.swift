import RNNCore
import RNNTraining

/// What a run needs in memory, estimated before it is accepted: the parameters (kept, reduced, and one
/// gradient per worker), the optimizer's state, each worker's activations for back-propagation through
/// `seq_len` steps, and the copy a checkpoint makes.
struct MemoryEstimate {
    let bytes: Int
    let parameters: Int

    init(config: RunConfig, data: any TrainingData) {
        let spec = data.networkSpec(config)
        let p = Network(spec: spec).parameterCount
        // The optimizer's own count of state buffers (RMSprop without momentum keeps one, not two).
        let optimizerCopies = Trainer.optimizerKind(config).stateBufferCount
        let w = config.workers
        let rows = (data.batchSize + w - 1) / w
        let perStep = config.layers * config.hiddenSize * (spec.cell.gateCount * 2 + 6) + spec.outputSize * 2 + spec.inputWidth
        let activations = rows * data.seqLen * perStep
        let floats = p * (2 + w + optimizerCopies) + p * (1 + optimizerCopies) + w * activations
        bytes = floats * MemoryLayout<Float>.size
        parameters = p
    }

    func check(budgetMB: Int) throws {
        let mb = (bytes + (1 << 20) - 1) >> 20
        guard mb <= budgetMB else {
            throw APIFailure.badRequest(
                "the model needs about \(mb) MiB (\(parameters) parameters with optimizer state, and activations for its workers), more than the memory budget of \(budgetMB) MiB (scheduler.memory_budget_mb); lower hidden_size, layers, seq_len, batch_size or workers",
                field: "hidden_size")
        }
    }
}
