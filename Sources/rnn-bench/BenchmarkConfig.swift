import ArgumentParser
import RNNCore

/// The benchmark configurations, identical to ../shared/reference/torch_lstm_bench.py.
enum BenchmarkConfig: String, CaseIterable, ExpressibleByArgument {
    case S, M, L, TS

    var spec: NetworkSpec {
        switch self {
        case .S: lm(hidden: 128, layers: 1)
        case .M: lm(hidden: 256, layers: 2)
        case .L: lm(hidden: 512, layers: 2)
        case .TS: NetworkSpec(input: .features(featureCount: 1), cell: .lstm, hiddenSize: 64, layers: 1,
                              outputSize: 1, loss: .meanSquaredError, targets: .lastStep)
        }
    }

    /// Timed steps when --steps is not given: about a second's worth, at least 20. Millisecond steps need
    /// hundreds for a stable median on a shared machine (TS over 20 steps swung by ±30%).
    var defaultTimedSteps: Int {
        switch self {
        case .S: 100
        case .M, .L: 20
        case .TS: 500
        }
    }

    var batchSize: Int { self == .M || self == .L ? 64 : 32 }
    var seqLen: Int {
        switch self {
        case .S, .M: 64
        case .L: 100
        case .TS: 50
        }
    }

    private func lm(hidden: Int, layers: Int) -> NetworkSpec {
        NetworkSpec(input: .tokens(vocabularySize: 96, embeddingSize: 64), cell: .lstm, hiddenSize: hidden,
                    layers: layers, outputSize: 96, loss: .crossEntropy, targets: .everyStep)
    }

    /// Floating-point operations of one training step as the reference counts them: 3× the forward
    /// multiply-adds of the matrix products, 2 flops each.
    var flopsPerStep: Double { 6 * Double(spec.forwardMultiplyAdds(batchSize: batchSize, seqLen: seqLen)) }

    /// A random batch of the right kind.
    func randomBatch(seed: UInt64) -> Batch<Float> {
        var rng = Xoshiro256(seed: seed)
        let b = batchSize, t = seqLen
        switch spec.input {
        case .tokens(let v, _):
            return Batch(batchSize: b, seqLen: t, input: .tokens((0..<(b * t)).map { _ in Int32(rng.below(v)) }),
                         target: .classes((0..<(b * t)).map { _ in Int32(rng.below(v)) }))
        case .features(let d):
            return Batch(batchSize: b, seqLen: t, input: .features((0..<(b * t * d)).map { _ in Float(rng.normal()) }),
                         target: .values((0..<b).map { _ in Float(rng.normal()) }))
        }
    }
}
