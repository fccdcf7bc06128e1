/// The recurrent cell of every layer.
public enum CellKind: String, Sendable, Codable, CaseIterable {
    /// Long short-term memory, gates i, f, g, o as in PyTorch.
    case lstm
    /// Gated recurrent unit in PyTorch's formulation (reset gate multiplies W_hn·h + b_hn), gates r, z, n.
    case gru
    /// Plain Elman network with tanh.
    case rnn

    /// Rows of the stacked gate matrices (4 for LSTM, 3 for GRU, 1 for RNN), in units of the hidden size.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
    }
}

/// What the first layer reads.
public enum InputKind: Equatable, Sendable {
    /// Token ids in 0..<vocabularySize, looked up in an embedding table of width `embeddingSize`.
    case tokens(vocabularySize: Int, embeddingSize: Int)
    /// Real-valued feature vectors of width `featureCount`, fed straight into the first layer.
    case features(featureCount: Int)
}

/// The loss and what it compares.
public enum LossKind: String, Sendable, Codable {
    /// Softmax cross-entropy over `outputSize` classes, mean per (unmasked) target.
    case crossEntropy
    /// Mean squared error over every output value.
    case meanSquaredError
}

/// Where the targets are.
public enum TargetMode: String, Sendable, Codable {
    /// A target at every time step (language models, sequence labelling).
    case everyStep
    /// One target after the last step (sequence classification and regression).
    case lastStep
}

/// The architecture of a network: input, stacked recurrent layers, linear head, loss.
public struct NetworkSpec: Equatable, Sendable {
    public var input: InputKind
    public var cell: CellKind
    public var hiddenSize: Int
    public var layers: Int
    /// Inverted dropout on the outputs of every layer but the last (as torch.nn.LSTM's `dropout`).
    public var dropout: Double
    /// Width of the head's output: classes (or vocabulary) for cross-entropy, values for MSE.
    public var outputSize: Int
    public var loss: LossKind
    public var targets: TargetMode
    /// Initial forget-gate bias of LSTM layers (char-rnn and Jozefowicz et al. use 1).
    public var forgetBias: Double

    public init(
        input: InputKind, cell: CellKind, hiddenSize: Int, layers: Int, dropout: Double = 0,
        outputSize: Int, loss: LossKind, targets: TargetMode, forgetBias: Double = 1
    ) {
        precondition(hiddenSize > 0 && layers > 0 && outputSize > 0, "sizes must be positive")
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)")
        if case .tokens(let v, let e) = input { precondition(v > 0 && e > 0, "sizes must be positive") }
        if case .features(let d) = input { precondition(d > 0, "sizes must be positive") }
        (self.input, self.cell, self.hiddenSize, self.layers, self.dropout) = (input, cell, hiddenSize, layers, dropout)
        (self.outputSize, self.loss, self.targets, self.forgetBias) = (outputSize, loss, targets, forgetBias)
    }

    /// Width of the first recurrent layer's input.
    public var inputWidth: Int {
        switch input {
        case .tokens(_, let e): e
        case .features(let d): d
        }
    }

    /// Width of layer `layer`'s input.
    public func inputWidth(ofLayer layer: Int) -> Int { layer == 0 ? inputWidth : hiddenSize }

    /// Multiply-adds of one forward pass over `batchSize × seqLen` (matrix products only).
    public func forwardMultiplyAdds(batchSize: Int, seqLen: Int) -> Int {
        let n = batchSize * seqLen
        var total = 0
        for l in 0..<layers {
            total += n * cell.gateCount * hiddenSize * (inputWidth(ofLayer: l) + hiddenSize)
        }
        total += (targets == .everyStep ? n : batchSize) * hiddenSize * outputSize
        return total
    }
}
