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
        let h = spec.hiddenSize, g = spec.cell.gateCount * h
        let widths = (0..<spec.layers).map { spec.inputWidth(ofLayer: $0) }
        // The LSTM also keeps each step's [x_t | h_{t−1}] rows, and packs W_ih as well as W_hh.
        let stepInputs = spec.cell == .lstm ? widths.reduce(0) { $0 + $1 + h } : 0
        let perStep = spec.layers * h * (spec.cell.gateCount * 2 + 6) + stepInputs + spec.outputSize * 2 + spec.inputWidth
        let activations = rows * data.seqLen * perStep
        // Per worker, one layer's weights packed forward and backward, and the LSTM's weight-gradient scratch.
        let widest = widths.max() ?? 0
        let packed = 2 * g * h + (spec.cell == .lstm ? 3 * g * widest + g * h : 0)
        let floats = p * (2 + w + optimizerCopies) + p * (1 + optimizerCopies) + w * (activations + packed)
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
