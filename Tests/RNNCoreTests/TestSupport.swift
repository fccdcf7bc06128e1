import RNNCore
import Testing

/// A network with its own parameter, gradient and workspace buffers, for tests.
final class Harness<Scalar: RNNScalar> {
    let network: Network
    let parameters: Buffer<Scalar>
    let gradients: Buffer<Scalar>
    let workspace: Workspace<Scalar>

    init(_ spec: NetworkSpec, batch: Int, seq: Int, seed: UInt64 = 1) {
        network = Network(spec: spec)
        parameters = Buffer(count: network.parameterCount)
        gradients = Buffer(count: network.parameterCount)
        workspace = Workspace(spec: spec, batchCapacity: batch, seqCapacity: seq)
        network.initializeParameters(parameters.buffer, seed: seed)
    }

    /// Mean loss of a forward pass with a dropout mask drawn from `dropoutSeed`.
    func loss(_ batch: Batch<Scalar>, training: Bool = false, dropoutSeed: UInt64 = 7) -> Double {
        network.forward(parameters: parameters.pointer, batch: batch, workspace: workspace,
                        dropout: training ? DropoutSource(seed: dropoutSeed, step: 0) : nil).mean
    }

    /// Zeroes the gradients, runs forward and backward, returns the mean loss.
    @discardableResult
    func lossAndGradients(_ batch: Batch<Scalar>, training: Bool = false, dropoutSeed: UInt64 = 7) -> Double {
        gradients.zero()
        let loss = network.forward(parameters: parameters.pointer, batch: batch, workspace: workspace,
                                   dropout: training ? DropoutSource(seed: dropoutSeed, step: 0) : nil)
        network.backward(parameters: parameters.pointer, gradients: gradients.pointer, batch: batch,
                         workspace: workspace, lossScale: Scalar(1 / loss.count))
        return loss.mean
    }
}

/// A random batch for `spec`, drawn from `seed`.
func randomBatch<Scalar: RNNScalar>(_ spec: NetworkSpec, batch b: Int, seq t: Int, seed: UInt64, masked: Bool = false) -> Batch<Scalar> {
    var rng = Xoshiro256(seed: seed)
    let input: Batch<Scalar>.Input
    switch spec.input {
    case .tokens(let v, _): input = .tokens((0..<(b * t)).map { _ in Int32(rng.below(v)) })
    case .features(let d): input = .features((0..<(b * t * d)).map { _ in Scalar(rng.normal()) })
    }
    let rows = spec.targets == .everyStep ? b * t : b
    let target: Batch<Scalar>.Target
    switch spec.loss {
    case .crossEntropy: target = .classes((0..<rows).map { _ in Int32(rng.below(spec.outputSize)) })
    case .meanSquaredError: target = .values((0..<(rows * spec.outputSize)).map { _ in Scalar(rng.normal()) })
    }
    let mask: [Scalar]? = masked ? (0..<rows).map { i in i % 3 == 1 ? 0 : 1 } : nil
    return Batch(batchSize: b, seqLen: t, input: input, target: target, mask: mask)
}

/// Largest relative difference between two arrays, and where it is.
func largestRelativeError(_ a: [Double], _ b: [Double], floor: Double) -> (error: Double, index: Int) {
    var worst = (0.0, -1)
    for i in a.indices {
        let e = abs(a[i] - b[i]) / max(abs(a[i]), abs(b[i]), floor)
        if e > worst.0 { worst = (e, i) }
    }
    return worst
}

extension Harness {
    /// One training step (zero, forward, backward, clip, update); returns the loss before the update.
    @discardableResult
    func trainStep(_ batch: Batch<Scalar>, optimizer: Optimizer<Scalar>, lr: Double, clip: Double = 1, dropoutSeed: UInt64 = 7) -> Double {
        let loss = lossAndGradients(batch, training: true, dropoutSeed: dropoutSeed)
        if case .finite = GradientClipping.clip(gradients.pointer, count: gradients.count, maxNorm: clip) {
            optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, range: 0..<parameters.count, lr: lr)
            optimizer.finishStep()
        }
        return loss
    }

    /// Class predicted for each row of the last forward pass.
    func predictedClasses() -> [Int] {
        let o = network.spec.outputSize, out = workspace.lastOutputs
        return (0..<workspace.outputRows).map { r in
            (0..<o).max { out[r * o + $0] < out[r * o + $1] }!
        }
    }
}

func adam<Scalar: RNNScalar>(_ harness: Harness<Scalar>) -> Optimizer<Scalar> {
    Optimizer(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), parameterCount: harness.network.parameterCount)
}
