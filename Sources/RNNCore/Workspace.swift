/// Activations, their gradients and the carried recurrent state of one replica, sized once for a capacity
/// of (batch, sequence length) and reused by every step, so nothing is allocated inside the time loop.
///
/// Shapes, with N = T·B rows and G = gates·H (see `NetworkSpec`):
/// - `initialHidden[l]`, `initialCell[l]` [B, H]: the state the next forward pass starts from (zero, or
///   carried from the previous chunk for truncated BPTT); copied into block 0 below at every forward pass
/// - `hidden[l]`  [(T+1)·B, H]: block 0 is the initial state h₀, block t+1 the output at step t
/// - `cell[l]`    [(T+1)·B, H]: the LSTM cell state, laid out the same way
/// - `gates[l]`   [N, G]: activated gates (LSTM i f g o; GRU r z n)
/// - `tanhCell[l]`[N, H]: tanh(c_t) (LSTM)
/// - `stepInputs[l]` [N, D+H]: row (t, b) holds [x_t | h_{t−1}] (LSTM): the forward product reads its two terms
///   from it and the backward pass takes both weight gradients in one GEMM over it
/// - `weightGradients` [G, D+H]: that GEMM's result, before it is added to dW_ih and dW_hh (LSTM)
/// - `hiddenGateN[l]` [N, H]: W_hn·h + b_hn (GRU)
/// - `dGates[l]`, `dGatesHidden[l]` [N, G]: gradients at the gate pre-activations (the second for GRU)
/// - `dHidden[l]` [N, H]: gradient arriving at the layer's outputs
/// - `dropMask[l]`, `dropped[l]` [N, H]: inverted-dropout mask and the masked outputs fed to layer l+1
/// - `packedForward`, `packedBackward`: the layer's W_hh packed for the per-step products
/// - `packedInputForward`, `packedInputBackward`: the layer's W_ih packed the same way (LSTM, whose input
///   projection runs inside each step, summed with the recurrent product in registers)
/// - `embedded` [N, E] or `featureInput` [N, D]: layer 0's input
/// - `outputs` [R, O]: softmax probabilities (cross-entropy) or predictions (MSE); R = N or B
public final class Workspace<Scalar: RNNScalar>: @unchecked Sendable {
    // @unchecked Sendable: owned by one replica's serial queue at a time (see Buffer).
    public let spec: NetworkSpec
    public let batchCapacity: Int
    public let seqCapacity: Int

    /// Batch size and sequence length of the last forward pass.
    public internal(set) var batchSize = 0
    public internal(set) var seqLen = 0

    let embedded: Buffer<Scalar>
    let dEmbedded: Buffer<Scalar>
    let initialHidden: [Buffer<Scalar>]
    let initialCell: [Buffer<Scalar>]
    let hidden: [Buffer<Scalar>]
    let cell: [Buffer<Scalar>]
    let gates: [Buffer<Scalar>]
    let tanhCell: [Buffer<Scalar>]
    let stepInputs: [Buffer<Scalar>]
    let weightGradients: Buffer<Scalar>
    let hiddenGateN: [Buffer<Scalar>]
    let stepHidden: [Buffer<Scalar>]
    let dGates: [Buffer<Scalar>]
    let dGatesHidden: [Buffer<Scalar>]
    let dHidden: [Buffer<Scalar>]
    let featureInput: Buffer<Scalar>
    let dHiddenNext: Buffer<Scalar>
    let dCellNext: Buffer<Scalar>
    let dropMask: [Buffer<Scalar>]
    let dropped: [Buffer<Scalar>]
    let bias: Buffer<Scalar>
    /// Scratch for the bias gradients: column sums of a gate-gradient matrix, [max(G, O)].
    let columnSums: Buffer<Scalar>
    /// W_hhᵀ packed for the forward recurrent product (h · W_hhᵀ), and W_hh for the backward one (dG · W_hh).
    let packedForward: Buffer<Scalar>
    let packedBackward: Buffer<Scalar>
    let packedInputForward: Buffer<Scalar>
    let packedInputBackward: Buffer<Scalar>
    let outputs: Buffer<Scalar>
    /// log Σ exp of each output row and the logit of its target (cross-entropy), [R] each.
    let logSumExp: Buffer<Scalar>
    let targetLogits: Buffer<Scalar>
    let dOutputs: Buffer<Scalar>

    public init(spec: NetworkSpec, batchCapacity: Int, seqCapacity: Int) {
        precondition(batchCapacity > 0 && seqCapacity > 0, "capacity must be positive")
        self.spec = spec
        self.batchCapacity = batchCapacity
        self.seqCapacity = seqCapacity
        let b = batchCapacity, t = seqCapacity, n = b * t
        let h = spec.hiddenSize, g = spec.cell.gateCount * h, layers = spec.layers
        let isLSTM = spec.cell == .lstm, isGRU = spec.cell == .gru
        func perLayer(_ count: Int, when condition: Bool = true) -> [Buffer<Scalar>] {
            (0..<layers).map { _ in Buffer(count: condition ? count : 0) }
        }
        let e: Int
        if case .tokens(_, let width) = spec.input { e = width } else { e = 0 }
        embedded = Buffer(count: n * e)
        dEmbedded = Buffer(count: n * e)
        initialHidden = perLayer(b * h)
        initialCell = perLayer(b * h, when: isLSTM)
        hidden = perLayer((t + 1) * b * h)
        cell = perLayer((t + 1) * b * h, when: isLSTM)
        gates = perLayer(n * g)
        tanhCell = perLayer(n * h, when: isLSTM)
        let widestInput = (0..<layers).map { spec.inputWidth(ofLayer: $0) }.max() ?? 0
        stepInputs = (0..<layers).map { l in Buffer(count: isLSTM ? n * (spec.inputWidth(ofLayer: l) + h) : 0) }
        weightGradients = Buffer(count: isLSTM ? g * (widestInput + h) : 0)
        hiddenGateN = perLayer(n * h, when: isGRU)
        stepHidden = perLayer(b * g, when: isGRU)
        dGates = perLayer(n * g)
        dGatesHidden = perLayer(n * g, when: isGRU)
        dHidden = perLayer(n * h)
        featureInput = Buffer(count: e == 0 ? n * spec.inputWidth : 0)
        dHiddenNext = Buffer(count: b * h)
        dCellNext = Buffer(count: b * h)
        let hasDropout = spec.dropout > 0
        dropMask = (0..<layers).map { l in Buffer(count: hasDropout && l < layers - 1 ? n * h : 0) }
        dropped = (0..<layers).map { l in Buffer(count: hasDropout && l < layers - 1 ? n * h : 0) }
        bias = Buffer(count: g)
        columnSums = Buffer(count: max(g, spec.outputSize))
        packedForward = Buffer(count: Scalar.packedCount(k: h, n: g))
        packedBackward = Buffer(count: Scalar.packedCount(k: g, n: h))
        packedInputForward = Buffer(count: isLSTM ? Scalar.packedCount(k: widestInput, n: g) : 0)
        packedInputBackward = Buffer(count: isLSTM ? Scalar.packedCount(k: g, n: widestInput) : 0)
        let rows = spec.targets == .everyStep ? n : b
        outputs = Buffer(count: rows * spec.outputSize)
        logSumExp = Buffer(count: rows)
        targetLogits = Buffer(count: rows)
        dOutputs = Buffer(count: rows * spec.outputSize)
    }

    /// Rows of `outputs` after the last forward pass.
    public var outputRows: Int { spec.targets == .everyStep ? batchSize * seqLen : batchSize }

    /// The head's outputs of the last forward pass: probabilities for cross-entropy, predictions for MSE,
    /// [outputRows, outputSize], time-major.
    public var lastOutputs: UnsafeBufferPointer<Scalar> {
        UnsafeBufferPointer(start: outputs.pointer, count: outputRows * spec.outputSize)
    }

    /// Zeroes the recurrent state: the next forward pass starts from h₀ = c₀ = 0.
    public func resetState() {
        for l in 0..<spec.layers {
            initialHidden[l].zero()
            initialCell[l].zero()
        }
    }

    /// Makes the final state of the last forward pass the initial state of the next one (truncated BPTT:
    /// the state flows on, the gradient does not).
    public func carryState() {
        let count = batchSize * spec.hiddenSize, last = seqLen * count
        for l in 0..<spec.layers {
            initialHidden[l].pointer.update(from: hidden[l].pointer + last, count: count)
            if spec.cell == .lstm { initialCell[l].pointer.update(from: cell[l].pointer + last, count: count) }
        }
    }

    /// Puts the initial state into block 0 of the sequence buffers (start of every forward pass).
    func loadInitialState() {
        let count = batchSize * spec.hiddenSize
        for l in 0..<spec.layers {
            hidden[l].pointer.update(from: initialHidden[l].pointer, count: count)
            if spec.cell == .lstm { cell[l].pointer.update(from: initialCell[l].pointer, count: count) }
        }
    }

    /// Size of the carried state for `batchSize` rows: per layer h (and c for LSTM), [B, H] each.
    public func stateCount(batchSize: Int) -> Int {
        spec.layers * batchSize * spec.hiddenSize * (spec.cell == .lstm ? 2 : 1)
    }

    /// The state the next forward pass starts from, for its first `batchSize` rows (for checkpoints).
    public func exportState(batchSize: Int) -> [Scalar] {
        precondition(batchSize <= batchCapacity, "state size mismatch")
        let count = batchSize * spec.hiddenSize
        var out: [Scalar] = []
        out.reserveCapacity(stateCount(batchSize: batchSize))
        for l in 0..<spec.layers {
            out.append(contentsOf: UnsafeBufferPointer(start: initialHidden[l].pointer, count: count))
            if spec.cell == .lstm { out.append(contentsOf: UnsafeBufferPointer(start: initialCell[l].pointer, count: count)) }
        }
        return out
    }

    /// Restores a state written by `exportState(batchSize:)`.
    public func importState(_ state: [Scalar], batchSize: Int) {
        precondition(batchSize <= batchCapacity && state.count == stateCount(batchSize: batchSize), "state size mismatch")
        let count = batchSize * spec.hiddenSize
        var offset = 0
        state.withUnsafeBufferPointer { src in
            for l in 0..<spec.layers {
                initialHidden[l].pointer.update(from: src.baseAddress! + offset, count: count)
                offset += count
                if spec.cell == .lstm {
                    initialCell[l].pointer.update(from: src.baseAddress! + offset, count: count)
                    offset += count
                }
            }
        }
    }

    /// The forget gates of each LSTM layer over the last forward pass (health metrics): their mean (near 1 the
    /// layer remembers, near 0 it forgets) and the fraction saturated (below 0.1 or above 0.9, where the
    /// gate's own gradient f(1 − f) is under 0.09). Empty for other cells.
    public func forgetGateStatistics() -> [(mean: Double, saturated: Double)] {
        guard spec.cell == .lstm, batchSize > 0 else { return [] }
        let h = spec.hiddenSize, g = 4 * h, rows = batchSize * seqLen
        return (0..<spec.layers).map { l in
            var sum = 0.0, saturated = 0
            let p = gates[l].pointer
            for r in 0..<rows {
                for j in 0..<h {
                    let f = p[r * g + h + j]
                    sum += Double(f)
                    if f < 0.1 || f > 0.9 { saturated += 1 }
                }
            }
            return (sum / Double(rows * h), Double(saturated) / Double(rows * h))
        }
    }

    /// While set (by `Network.gradientFlow`), the backward pass of layer `tracedLayer` writes the whole
    /// gradient w.r.t. its output h_t of every step here, [T, B, H].
    var hiddenGradientTrace: UnsafeMutablePointer<Scalar>?
    var tracedLayer = -1

    /// Called by each cell's backward step: records dOut_t + dh_next (the gradient at h_t) when tracing.
    @inline(__always)
    func traceHiddenGradient(layer: Int, step: Int, dOut: UnsafePointer<Scalar>, dNext: UnsafePointer<Scalar>) {
        guard layer == tracedLayer, let trace = hiddenGradientTrace else { return }
        let count = batchSize * spec.hiddenSize, row = trace + step * count
        for i in 0..<count { row[i] = dOut[i] + dNext[i] }
    }
}
