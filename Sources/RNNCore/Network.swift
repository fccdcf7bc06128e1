/// A recurrent network: an input (embedding or dense features), stacked recurrent layers with inverted
/// dropout between them, and a linear head with its loss.
///
/// The network holds no numbers. Parameters, gradients and activations live in flat buffers passed in, so
/// that many replicas can read one shared parameter buffer while each owns its gradients and workspace.
/// Gradients are accumulated (`+=`); zero them before a step.
public struct Network: Sendable, Equatable {
    public let spec: NetworkSpec
    public let layout: ParameterLayout
    /// Where each recurrent layer's four tensors sit in the flat buffer, looked up once here rather than
    /// by name on every pass.
    let recurrentOffsets: [RecurrentOffsets]

    public init(spec: NetworkSpec) {
        self.spec = spec
        let layout = ParameterLayout(spec: spec)
        self.layout = layout
        let prefix = spec.cell.rawValue
        recurrentOffsets = (0..<spec.layers).map { l in
            RecurrentOffsets(inputWeights: layout["\(prefix).weight_ih_l\(l)"].offset, hiddenWeights: layout["\(prefix).weight_hh_l\(l)"].offset,
                             inputBias: layout["\(prefix).bias_ih_l\(l)"].offset, hiddenBias: layout["\(prefix).bias_hh_l\(l)"].offset,
                             inputWidth: spec.inputWidth(ofLayer: l))
        }
    }

    /// Parameter count.
    public var parameterCount: Int { layout.count }

    /// Fills `parameters` with PyTorch's default initialisation, drawn from a generator derived from
    /// `seed` alone: embedding N(0, 1); recurrent weights and biases U(-1/√H, 1/√H); head U(-1/√H, 1/√H).
    /// LSTM forget-gate biases: `bias_ih` set to `spec.forgetBias`, `bias_hh` to 0, so their sum is the
    /// configured value.
    public func initializeParameters<Scalar: RNNScalar>(_ parameters: UnsafeMutableBufferPointer<Scalar>, seed: UInt64) {
        precondition(parameters.count == layout.count, "parameter buffer has the wrong size")
        var rng = Xoshiro256(seed: seed, stream: [0x1417])
        let bound = 1 / Double(spec.hiddenSize).squareRoot()
        let h = spec.hiddenSize
        for tensor in layout.tensors {
            let p = parameters.baseAddress! + tensor.offset
            if tensor.name == "embedding.weight" {
                for i in 0..<tensor.count { p[i] = Scalar(rng.normal()) }
            } else {
                for i in 0..<tensor.count { p[i] = Scalar(rng.uniform(-bound, bound)) }
            }
            if spec.cell == .lstm, tensor.name.hasPrefix("lstm.bias_") {
                let value = tensor.name.hasPrefix("lstm.bias_ih") ? Scalar(spec.forgetBias) : 0
                for j in h..<(2 * h) { p[j] = value }
            }
        }
    }

    /// Runs the network over `batch`, starting from the state held in `workspace` (zero after
    /// `resetState()`, the previous chunk's final state after `carryState()`), and returns the loss as a
    /// sum and a count (zero for `.none` targets).
    ///
    /// - Parameter dropout: training mode: dropout with masks from this source. nil evaluates (no dropout).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func forward<Scalar: RNNScalar>(
        parameters: UnsafePointer<Scalar>, batch: Batch<Scalar>, workspace ws: Workspace<Scalar>,
        dropout: DropoutSource? = nil
    ) -> LossSum {
        let b = batch.batchSize, t = batch.seqLen
        precondition(ws.spec == spec, "workspace belongs to another network")
        precondition(b > 0 && t > 0 && b <= ws.batchCapacity && t <= ws.seqCapacity, "batch exceeds the workspace")
        ws.batchSize = b
        ws.seqLen = t
        ws.loadInitialState()
        let n = b * t, h = spec.hiddenSize

        // Input of layer 0.
        var input: UnsafePointer<Scalar>
        switch (spec.input, batch.input) {
        case (.tokens(let vocabulary, let e), .tokens(let tokens)):
            precondition(tokens.count == n, "token count must be batch × sequence length")
            let table = parameters + layout["embedding.weight"].offset
            tokens.withUnsafeBufferPointer { tokens in
                for r in 0..<n {
                    let id = Int(tokens[r])
                    precondition(id >= 0 && id < vocabulary, "token id out of range")
                    (ws.embedded.pointer + r * e).update(from: table + id * e, count: e)
                }
            }
            input = UnsafePointer(ws.embedded.pointer)
        case (.features(let d), .features(let features)):
            precondition(features.count == n * d, "feature count must be batch × sequence length × width")
            // Copied so the backward pass reads the same input whatever the caller does with its array.
            features.withUnsafeBufferPointer { ws.featureInput.pointer.update(from: $0.baseAddress!, count: n * d) }
            input = UnsafePointer(ws.featureInput.pointer)
        default:
            preconditionFailure("batch input does not match the network's input kind")
        }

        for l in 0..<spec.layers {
            let view = RecurrentWeights(network: self, layer: l, parameters: parameters)
            switch spec.cell {
            case .lstm: lstmForward(layer: l, weights: view, input: input, workspace: ws)
            case .gru: gruForward(layer: l, weights: view, input: input, workspace: ws)
            case .rnn: rnnForward(layer: l, weights: view, input: input, workspace: ws)
            }
            let outputs = UnsafePointer(ws.hidden[l].pointer + b * h)
            if l < spec.layers - 1, let dropout, spec.dropout > 0 {
                applyDropout(outputs, layer: l, rows: b, steps: t, source: dropout, mask: ws.dropMask[l].pointer, into: ws.dropped[l].pointer)
                input = UnsafePointer(ws.dropped[l].pointer)
            } else {
                if l < spec.layers - 1 && spec.dropout > 0 {
                    // Evaluation: the mask is all ones (inverted dropout needs no rescaling).
                    ws.dropMask[l].pointer.update(repeating: 1, count: n * h)
                }
                input = outputs
            }
        }
        return headForward(parameters: parameters, batch: batch, workspace: ws)
    }

    /// Backpropagates through the last forward pass of `batch` and accumulates (`+=`) into `gradients`.
    ///
    /// - Parameter lossScale: the factor on d(loss sum): 1 / (targets of the whole minibatch), so that the
    ///   gradients of W shards sum to the gradient of the minibatch mean. Defaults to this batch's count.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func backward<Scalar: RNNScalar>(
        parameters: UnsafePointer<Scalar>, gradients: UnsafeMutablePointer<Scalar>, batch: Batch<Scalar>,
        workspace ws: Workspace<Scalar>, lossScale: Scalar
    ) {
        precondition(ws.batchSize == batch.batchSize && ws.seqLen == batch.seqLen, "backward needs the batch of the last forward pass")
        let b = batch.batchSize, t = batch.seqLen, n = b * t, h = spec.hiddenSize
        let top = spec.layers - 1
        headBackward(parameters: parameters, gradients: gradients, batch: batch, workspace: ws, lossScale: lossScale, dTop: ws.dHidden[top].pointer)

        for l in stride(from: top, through: 0, by: -1) {
            let view = RecurrentWeights(network: self, layer: l, parameters: parameters)
            let grads = RecurrentGradients(network: self, layer: l, gradients: gradients)
            let input: UnsafePointer<Scalar>
            if l == 0 {
                input = UnsafePointer(isTokenInput ? ws.embedded.pointer : ws.featureInput.pointer)
            } else {
                input = UnsafePointer(spec.dropout > 0 ? ws.dropped[l - 1].pointer : ws.hidden[l - 1].pointer + b * h)
            }
            // Where the gradient w.r.t. this layer's input goes: the layer below, the embedding, or nowhere.
            let dInput: UnsafeMutablePointer<Scalar>? = l > 0 ? ws.dHidden[l - 1].pointer : (isTokenInput ? ws.dEmbedded.pointer : nil)
            switch spec.cell {
            case .lstm: lstmBackward(layer: l, weights: view, gradients: grads, input: input, dInput: dInput, workspace: ws)
            case .gru: gruBackward(layer: l, weights: view, gradients: grads, input: input, dInput: dInput, workspace: ws)
            case .rnn: rnnBackward(layer: l, weights: view, gradients: grads, input: input, dInput: dInput, workspace: ws)
            }
            if l > 0 && spec.dropout > 0 {
                let mask = ws.dropMask[l - 1].pointer, d = ws.dHidden[l - 1].pointer
                for i in 0..<(n * h) { d[i] *= mask[i] }
            }
        }

        if case .tokens(_, let e) = spec.input, case .tokens(let tokens) = batch.input {
            // Scatter-add in row order: deterministic whatever the token repetition.
            let dTable = gradients + layout["embedding.weight"].offset
            let dRows = ws.dEmbedded.pointer
            tokens.withUnsafeBufferPointer { tokens in
                for r in 0..<n {
                    let dst = dTable + Int(tokens[r]) * e, src = dRows + r * e
                    for j in 0..<e { dst[j] += src[j] }
                }
            }
        }
    }

    /// How far back the gradient reaches: for the loss at the last step of `batch` alone, the norm of its
    /// gradient w.r.t. the top layer's output h_t at each lag k = T−1−t (averaged over the batch rows),
    /// relative to lag 0. An LSTM's profile stays near flat over long lags; a plain RNN's falls off
    /// exponentially (the vanishing gradient, docs/architecture.md "Why LSTMs"). Evaluation mode (no dropout); the
    /// parameters' gradients are computed into a scratch buffer and thrown away.
    @_specialize(exported: true, where Scalar == Float)
    public func gradientFlow<Scalar: RNNScalar>(parameters: UnsafePointer<Scalar>, batch: Batch<Scalar>, workspace ws: Workspace<Scalar>) -> [Double] {
        _ = forward(parameters: parameters, batch: batch, workspace: ws)
        let b = batch.batchSize, t = batch.seqLen, h = spec.hiddenSize, top = spec.layers - 1
        let scratch = Buffer<Scalar>(count: parameterCount)
        let dTop = ws.dHidden[top].pointer
        headBackward(parameters: parameters, gradients: scratch.pointer, batch: batch, workspace: ws, lossScale: 1, dTop: dTop)
        // Only the last step's loss: the earlier steps' own losses would add their gradients at every lag.
        dTop.update(repeating: 0, count: (t - 1) * b * h)
        let trace = Buffer<Scalar>(count: t * b * h)
        ws.hiddenGradientTrace = trace.pointer
        ws.tracedLayer = top
        defer { ws.hiddenGradientTrace = nil; ws.tracedLayer = -1 }
        let view = RecurrentWeights(network: self, layer: top, parameters: parameters)
        let grads = RecurrentGradients(network: self, layer: top, gradients: scratch.pointer)
        let input: UnsafePointer<Scalar>
        if top == 0 {
            input = UnsafePointer(isTokenInput ? ws.embedded.pointer : ws.featureInput.pointer)
        } else {
            input = UnsafePointer(spec.dropout > 0 ? ws.dropped[top - 1].pointer : ws.hidden[top - 1].pointer + b * h)
        }
        switch spec.cell {
        case .lstm: lstmBackward(layer: top, weights: view, gradients: grads, input: input, dInput: nil, workspace: ws)
        case .gru: gruBackward(layer: top, weights: view, gradients: grads, input: input, dInput: nil, workspace: ws)
        case .rnn: rnnBackward(layer: top, weights: view, gradients: grads, input: input, dInput: nil, workspace: ws)
        }
        var norms = [Double](repeating: 0, count: t)
        for step in 0..<t {
            var total = 0.0
            for r in 0..<b {
                let row = trace.pointer + (step * b + r) * h
                var sum = 0.0
                for j in 0..<h { sum += Double(row[j]) * Double(row[j]) }
                total += sum.squareRoot()
            }
            norms[t - 1 - step] = total / Double(b)
        }
        let last = norms[0]
        return norms.map { last > 0 ? $0 / last : 0 }
    }

    var isTokenInput: Bool {
        if case .tokens = spec.input { return true }
        return false
    }

    /// out = x · mask, mask = 0 with probability p, else 1/(1-p); x and mask are [T, B, H].
    private func applyDropout<Scalar: RNNScalar>(
        _ x: UnsafePointer<Scalar>, layer: Int, rows b: Int, steps t: Int, source: DropoutSource,
        mask: UnsafeMutablePointer<Scalar>, into out: UnsafeMutablePointer<Scalar>
    ) {
        // Compare 32 random bits with p·2³²: exact and portable, two mask entries per generator call.
        let threshold = UInt64((spec.dropout * 4_294_967_296).rounded())
        let keep = Scalar(1 / (1 - spec.dropout))
        let h = spec.hiddenSize, perRow = t * h
        for r in 0..<b {
            var rng = source.generator(layer: layer, row: r)
            var i = 0
            while i < perRow {
                let bits = rng.next()
                let (step, j) = (i / h, i % h)
                mask[(step * b + r) * h + j] = (bits & 0xFFFF_FFFF) < threshold ? 0 : keep
                if i + 1 < perRow {
                    let (step2, j2) = ((i + 1) / h, (i + 1) % h)
                    mask[(step2 * b + r) * h + j2] = (bits >> 32) < threshold ? 0 : keep
                }
                i += 2
            }
        }
        for j in 0..<(b * t * h) { out[j] = x[j] * mask[j] }
    }
}

/// Where a training forward pass's dropout masks come from. Row r of a shard is row `rowOffset + r` of
/// the minibatch, and its mask at layer l is drawn from `Xoshiro256(seed:, stream: [step, l, row])`: masks
/// depend on (seed, step, example) only, never on how the minibatch was split across workers.
public struct DropoutSource: Sendable, Equatable {
    public var seed: UInt64
    public var step: Int
    public var rowOffset: Int

    public init(seed: UInt64, step: Int, rowOffset: Int = 0) {
        self.seed = seed
        self.step = step
        self.rowOffset = rowOffset
    }

    func generator(layer: Int, row: Int) -> Xoshiro256 {
        Xoshiro256(seed: seed, stream: [0xD809, UInt64(step), UInt64(layer), UInt64(rowOffset + row)])
    }
}

/// The four tensors of one recurrent layer, in the parameter buffer.
struct RecurrentWeights<Scalar: RNNScalar> {
    let inputWeights: UnsafePointer<Scalar>   // [G, D]
    let hiddenWeights: UnsafePointer<Scalar>  // [G, H]
    let inputBias: UnsafePointer<Scalar>      // [G]
    let hiddenBias: UnsafePointer<Scalar>     // [G]
    let inputWidth: Int

    init(network: Network, layer: Int, parameters: UnsafePointer<Scalar>) {
        let o = network.recurrentOffsets[layer]
        (inputWeights, hiddenWeights) = (parameters + o.inputWeights, parameters + o.hiddenWeights)
        (inputBias, hiddenBias, inputWidth) = (parameters + o.inputBias, parameters + o.hiddenBias, o.inputWidth)
    }
}

/// Offsets of one recurrent layer's tensors in the flat parameter (and gradient) buffer.
struct RecurrentOffsets: Sendable, Equatable {
    let inputWeights: Int   // [G, D]
    let hiddenWeights: Int  // [G, H]
    let inputBias: Int      // [G]
    let hiddenBias: Int     // [G]
    let inputWidth: Int     // D
}

/// The gradients of one recurrent layer's four tensors, in the gradient buffer.
struct RecurrentGradients<Scalar: RNNScalar> {
    let inputWeights: UnsafeMutablePointer<Scalar>
    let hiddenWeights: UnsafeMutablePointer<Scalar>
    let inputBias: UnsafeMutablePointer<Scalar>
    let hiddenBias: UnsafeMutablePointer<Scalar>

    init(network: Network, layer: Int, gradients: UnsafeMutablePointer<Scalar>) {
        let o = network.recurrentOffsets[layer]
        (inputWeights, hiddenWeights) = (gradients + o.inputWeights, gradients + o.hiddenWeights)
        (inputBias, hiddenBias) = (gradients + o.inputBias, gradients + o.hiddenBias)
    }
}
