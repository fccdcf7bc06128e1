import RNNCore

/// What a run needs in memory, estimated before it is accepted: the parameters (kept, reduced, and one
/// gradient per worker), the optimizer's state, each worker's activations for back-propagation through
/// `seq_len` steps, and the copy a checkpoint makes.
/// It sits beside the trainer whose buffers it counts (Workspace, the packed weights through the kernel's own
/// `packedCount`), so its callers copy no sizes.
public struct MemoryEstimate: Sendable {
    public let bytes: Int
    public let parameters: Int

    public init(config: RunConfig, data: any TrainingData) {
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
        // Per worker, one layer's weights packed forward and backward (W_ih too for the LSTM), and the LSTM's
        // weight-gradient scratch: the sizes Workspace allocates.
        let widest = widths.max() ?? 0
        let packed = Float.packedCount(k: h, n: g) + Float.packedCount(k: g, n: h)
            + (spec.cell == .lstm ? Float.packedCount(k: widest, n: g) + Float.packedCount(k: g, n: widest) + g * (widest + h) : 0)
        let floats = p * (2 + w + optimizerCopies) + p * (1 + optimizerCopies) + w * (activations + packed)
        bytes = floats * MemoryLayout<Float>.size
        parameters = p
    }

    /// The estimate in MiB, rounded up.
    public var mebibytes: Int { (bytes + (1 << 20) - 1) >> 20 }
}
