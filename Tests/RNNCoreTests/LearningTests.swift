import RNNCore
import Testing

@Suite struct LearningTests {
    /// "Recall a marked value": a stream of random ±1 values with a marker on one of the first 5 steps;
    /// after 60 steps, the class is the sign of the marked value. Everything between is noise, so the
    /// network must carry one bit across ≥ 55 steps.
    func recallBatch(size b: Int, seed: UInt64) -> (Batch<Float>, [Int]) {
        let t = 60
        var rng = Xoshiro256(seed: seed)
        var features = [Float](repeating: 0, count: t * b * 2)
        var labels: [Int] = []
        for r in 0..<b {
            let marked = rng.below(5)
            var label = 0
            for step in 0..<t {
                let value: Float = rng.below(2) == 0 ? -1 : 1
                features[(step * b + r) * 2] = value
                if step == marked {
                    features[(step * b + r) * 2 + 1] = 1
                    label = value > 0 ? 1 : 0
                }
            }
            labels.append(label)
        }
        return (Batch(batchSize: b, seqLen: t, input: .features(features), target: .classes(labels.map(Int32.init))), labels)
    }

    /// Accuracy on fresh data after 1,000 Adam steps of 128 sequences. The LSTM starts with forget-gate
    /// bias 3 (σ(3) ≈ 0.95, so the cell keeps ~6% of a value over 55 steps at initialisation — with bias 1
    /// it would keep 3e-8 and the gradient has nothing to follow); the plain RNN gets the same budget.
    func recallAccuracy(cell: CellKind) -> Double {
        let spec = NetworkSpec(input: .features(featureCount: 2), cell: cell, hiddenSize: 16, layers: 1,
                               outputSize: 2, loss: .crossEntropy, targets: .lastStep, forgetBias: 3)
        let harness = Harness<Float>(spec, batch: 256, seq: 60, seed: 1)
        let optimizer = adam(harness)
        for step in 0..<1000 {
            harness.trainStep(recallBatch(size: 128, seed: UInt64(step)).0, optimizer: optimizer, lr: 0.003)
        }
        let (test, labels) = recallBatch(size: 256, seed: 999_999)
        _ = harness.loss(test)
        let predicted = harness.predictedClasses()
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    @Test func lstmRemembersAcrossFiftyStepsAndPlainRNNDoesNot() {
        let lstm = recallAccuracy(cell: .lstm)
        let rnn = recallAccuracy(cell: .rnn)
        #expect(lstm >= 0.95, "LSTM accuracy \(lstm) (RNN \(rnn))")
        #expect(rnn <= 0.7, "plain RNN accuracy \(rnn): it should not bridge 55 steps (LSTM \(lstm))")
    }

    @Test(arguments: CellKind.allCases)
    func overfitsASmallSequenceTask(cell: CellKind) {
        // A fixed batch of 8 short token sequences: next-token prediction is memorisable.
        let spec = NetworkSpec(input: .tokens(vocabularySize: 6, embeddingSize: 8), cell: cell, hiddenSize: 32, layers: 2,
                               outputSize: 6, loss: .crossEntropy, targets: .everyStep)
        let harness = Harness<Float>(spec, batch: 8, seq: 12, seed: 2)
        let batch: Batch<Float> = randomBatch(spec, batch: 8, seq: 12, seed: 3)
        let optimizer = adam(harness)
        let first = harness.loss(batch)
        for _ in 0..<300 { harness.trainStep(batch, optimizer: optimizer, lr: 0.02, clip: 5) }
        let last = harness.loss(batch)
        #expect(first > 1.5, "initial loss \(first) should be near ln 6")
        #expect(last < 0.05, "\(cell) loss \(first) → \(last)")
    }
}
