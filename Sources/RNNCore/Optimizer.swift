/// The update rule and its hyperparameters (PyTorch's semantics for each).
public enum OptimizerKind: Equatable, Sendable {
    /// SGD with momentum (0 = plain SGD), optionally Nesterov; L2 weight decay added to the gradient.
    case sgd(momentum: Double, nesterov: Bool)
    /// Adam; L2 weight decay added to the gradient.
    case adam(beta1: Double, beta2: Double, epsilon: Double)
    /// AdamW: decoupled weight decay, p ← p − lr·wd·p before the Adam step.
    case adamW(beta1: Double, beta2: Double, epsilon: Double)
    /// RMSprop with smoothing `alpha` and optional momentum; L2 weight decay added to the gradient.
    case rmsprop(alpha: Double, epsilon: Double, momentum: Double)

    /// Optimizer state buffers per parameter.
    public var stateBufferCount: Int {
        switch self {
        case .sgd(let momentum, _): momentum != 0 ? 1 : 0
        case .adam, .adamW: 2
        case .rmsprop(_, _, let momentum): momentum != 0 ? 2 : 1
        }
    }
}

/// An optimizer over a flat parameter buffer. The state (`state[k]`, each the size of the parameters, in
/// the same layout) is updated by `update(parameters:gradients:range:lr:)` on any sub-range, so W workers
/// can each update their own contiguous chunk after the reduce-scatter.
public final class Optimizer<Scalar: RNNScalar>: @unchecked Sendable {
    // @unchecked Sendable: disjoint ranges are updated from different workers; the trainer guarantees
    // they never overlap and that `step` advances only between updates.
    public let kind: OptimizerKind
    public let weightDecay: Double
    public let state: [Buffer<Scalar>]
    /// Updates applied so far (Adam's bias correction uses step + 1 for the next one).
    public var step: Int = 0

    public init(kind: OptimizerKind, weightDecay: Double = 0, parameterCount: Int) {
        self.kind = kind
        self.weightDecay = weightDecay
        self.state = (0..<kind.stateBufferCount).map { _ in Buffer(count: parameterCount) }
    }

    /// Applies one update to `range`, with learning rate `lr`, as update number `step + 1`. Call
    /// `finishStep()` once every range has been updated.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func update(parameters: UnsafeMutablePointer<Scalar>, gradients: UnsafePointer<Scalar>, range: Range<Int>, lr: Double) {
        let lrS = Scalar(lr), wd = Scalar(weightDecay)
        let n = range.count, p = parameters + range.lowerBound, g = gradients + range.lowerBound
        func state(_ k: Int) -> UnsafeMutablePointer<Scalar> { self.state[k].pointer + range.lowerBound }
        switch kind {
        case .sgd(let momentum, let nesterov):
            Scalar.sgdUpdate(p, gradients: g, momentumBuffer: momentum != 0 ? state(0) : nil, count: n, lr: lrS, weightDecay: wd,
                             momentum: Scalar(momentum), nesterov: nesterov, first: step == 0)
        case .adam(let b1, let b2, let eps), .adamW(let b1, let b2, let eps):
            let decoupled: Bool
            if case .adamW = kind { decoupled = true } else { decoupled = false }
            let t = Double(step + 1)
            let c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t)
            // PyTorch: p -= lr/c1 · m / (sqrt(v)/sqrt(c2) + eps)
            Scalar.adamUpdate(p, gradients: g, m: state(0), v: state(1), count: n, beta1: Scalar(b1), beta2: Scalar(b2),
                              stepSize: Scalar(lr / c1), rootC2: Scalar(c2.squareRoot()), epsilon: Scalar(eps),
                              decay: decoupled ? 1 - lrS * wd : 1, l2: decoupled ? 0 : wd)
        case .rmsprop(let alpha, let eps, let momentum):
            Scalar.rmspropUpdate(p, gradients: g, squares: state(0), momentumBuffer: momentum != 0 ? state(1) : nil, count: n, lr: lrS,
                                 weightDecay: wd, alpha: Scalar(alpha), epsilon: Scalar(eps), momentum: Scalar(momentum))
        }
    }

    /// Marks the end of one update over every range.
    public func finishStep() { step += 1 }
}

@inline(__always) private func pow(_ base: Double, _ exponent: Double) -> Double {
    expDouble(exponent * logDouble(base))
}
