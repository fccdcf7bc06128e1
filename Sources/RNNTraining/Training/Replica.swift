import Dispatch
import RNNCore

/// One data-parallel worker: a serial queue that owns a workspace and a gradient buffer, and reads the
/// shared parameters.
final class Replica: @unchecked Sendable {
    // @unchecked Sendable: the workspace and gradients are touched only from `queue`, or from the trainer
    // thread while every queue is idle (between phases, after the group wait).
    let index: Int
    let queue: DispatchQueue
    let workspace: Workspace<Float>
    let gradients: Buffer<Float>
    /// Rows of the minibatch this replica trains on.
    let rows: Range<Int>
    /// Its chunk of the flat gradient/parameter buffers for the reduce-scatter and the update.
    let chunk: Range<Int>
    var loss = LossSum()
    var sumOfSquares = 0.0

    init(index: Int, spec: NetworkSpec, parameterCount: Int, rows: Range<Int>, chunk: Range<Int>, seqLen: Int) {
        self.index = index
        queue = DispatchQueue(label: "rnnd.replica.\(index)", qos: .userInitiated)
        workspace = Workspace(spec: spec, batchCapacity: max(rows.count, 1), seqCapacity: seqLen)
        gradients = Buffer(count: parameterCount)
        self.rows = rows
        self.chunk = chunk
    }

    /// Splits `total` into `parts` contiguous ranges whose sizes differ by at most one.
    static func split(_ total: Int, into parts: Int, alignment: Int = 1) -> [Range<Int>] {
        let units = (total + alignment - 1) / alignment
        return (0..<parts).map { p in
            let lo = min(total, (units * p / parts) * alignment), hi = min(total, (units * (p + 1) / parts) * alignment)
            return lo..<hi
        }
    }
}

extension Batch where Scalar == Float {
    /// Rows `range` of a time-major batch whose targets sit at every step or only the last (`spec`).
    func rows(_ range: Range<Int>, spec: NetworkSpec) -> Batch<Float> {
        if range == 0..<batchSize { return self }
        let b = batchSize, n = range.count
        let targetSteps = spec.targets == .everyStep ? seqLen : 1
        func pick<T>(_ values: [T], width: Int, steps: Int) -> [T] {
            var out: [T] = []
            out.reserveCapacity(steps * n * width)
            for s in 0..<steps {
                out.append(contentsOf: values[((s * b + range.lowerBound) * width)..<((s * b + range.upperBound) * width)])
            }
            return out
        }
        let newInput: Input
        switch input {
        case .tokens(let x): newInput = .tokens(pick(x, width: 1, steps: seqLen))
        case .features(let x): newInput = .features(pick(x, width: spec.inputWidth, steps: seqLen))
        }
        let newTarget: Target
        switch target {
        case .classes(let y): newTarget = .classes(pick(y, width: 1, steps: targetSteps))
        case .values(let y): newTarget = .values(pick(y, width: spec.outputSize, steps: targetSteps))
        case .none: newTarget = .none
        }
        return Batch(batchSize: n, seqLen: seqLen, input: newInput, target: newTarget,
                     mask: mask.map { pick($0, width: 1, steps: targetSteps) })
    }

    /// The total weight of the targets (what the loss is averaged over).
    func targetCount(spec: NetworkSpec) -> Double {
        let rows = spec.targets == .everyStep ? batchSize * seqLen : batchSize
        let weight = mask.map { Double($0.reduce(0, +)) } ?? Double(rows)
        return spec.loss == .meanSquaredError ? weight * Double(spec.outputSize) : weight
    }
}
