import Foundation
import RNNCore

/// The trivial predictor's figures on a set of targets, for comparison with a model's: the training split's
/// class prior (add-one smoothed; the majority class for accuracy) for class targets, its mean for values.
public struct Baseline: Sendable, Equatable {
    /// Mean loss in the model's own loss: cross-entropy in nats, or the mean squared error.
    public var loss: Double
    /// The majority class's accuracy (class targets only).
    public var accuracy: Double?

    /// The prior's cross-entropy and the majority's accuracy on `batches`, from the training `classes` over
    /// `count` classes.
    init(classPrior classes: [Int32], count: Int, on batches: [Batch<Float>]) {
        var frequency = [Double](repeating: 1, count: count)  // add-one: no class has probability 0
        for c in classes where Int(c) < count { frequency[Int(c)] += 1 }
        let total = frequency.reduce(0, +)
        let logPrior = frequency.map { log($0 / total) }
        let majority = Int32(frequency.indices.max { frequency[$0] < frequency[$1] || (frequency[$0] == frequency[$1] && $0 > $1) }!)
        var sum = 0.0, right = 0.0, n = 0.0
        for batch in batches {
            guard case .classes(let targets) = batch.target else { continue }
            for t in targets where Int(t) < count {
                sum -= logPrior[Int(t)]
                if t == majority { right += 1 }
                n += 1
            }
        }
        loss = n > 0 ? sum / n : .nan
        accuracy = n > 0 ? right / n : nil
    }

    /// The mean squared error on `batches` of predicting the training `values`' mean (per output).
    init(mean values: [Float], outputs: Int, on batches: [Batch<Float>]) {
        var mean = [Double](repeating: 0, count: outputs)
        let rows = max(1, values.count / outputs)
        for (i, v) in values.enumerated() { mean[i % outputs] += Double(v) / Double(rows) }
        var sum = 0.0, n = 0.0
        for batch in batches {
            guard case .values(let targets) = batch.target else { continue }
            for (i, v) in targets.enumerated() {
                let diff = Double(v) - mean[i % outputs]
                sum += diff * diff
                n += 1
            }
        }
        loss = n > 0 ? sum / n : .nan
        accuracy = nil
    }
}
