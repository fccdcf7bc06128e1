import RNNCore
import Testing

/// Finite-difference checks of every gradient, in Double.
///
/// The numerical derivative is the fourth-order central difference
/// (8[f(θ+h) − f(θ−h)] − [f(θ+2h) − f(θ−2h)]) / 12h with h = 1e-3: its truncation error (~h⁴) and
/// rounding error (~1e-16/h) are both far below the tolerance: relative error ≤ 1e-6, measured against
/// max(|analytic|, |numeric|, 1e-6) so that gradients near zero are held to 1e-12 absolute.
/// A failure means a wrong formula.
@Suite struct GradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: NetworkSpec
        var masked = false
        var dropout = false
        var carriedState = false
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        var cases: [Case] = []
        for cell in CellKind.allCases {
            cases.append(Case(name: "\(cell) token LM, cross-entropy at every step, 2 layers", spec: NetworkSpec(
                input: .tokens(vocabularySize: 7, embeddingSize: 4), cell: cell, hiddenSize: 5, layers: 2,
                outputSize: 7, loss: .crossEntropy, targets: .everyStep)))
            cases.append(Case(name: "\(cell) features, MSE at the last step", spec: NetworkSpec(
                input: .features(featureCount: 3), cell: cell, hiddenSize: 4, layers: 1,
                outputSize: 2, loss: .meanSquaredError, targets: .lastStep)))
            cases.append(Case(name: "\(cell) features, cross-entropy at the last step", spec: NetworkSpec(
                input: .features(featureCount: 2), cell: cell, hiddenSize: 4, layers: 1,
                outputSize: 3, loss: .crossEntropy, targets: .lastStep)))
            cases.append(Case(name: "\(cell) features, masked MSE at every step", spec: NetworkSpec(
                input: .features(featureCount: 2), cell: cell, hiddenSize: 3, layers: 1,
                outputSize: 2, loss: .meanSquaredError, targets: .everyStep), masked: true))
            cases.append(Case(name: "\(cell) 3 layers with a fixed dropout mask", spec: NetworkSpec(
                input: .tokens(vocabularySize: 5, embeddingSize: 3), cell: cell, hiddenSize: 4, layers: 3, dropout: 0.3,
                outputSize: 5, loss: .crossEntropy, targets: .everyStep), dropout: true))
            cases.append(Case(name: "\(cell) truncated BPTT from a carried state", spec: NetworkSpec(
                input: .tokens(vocabularySize: 6, embeddingSize: 3), cell: cell, hiddenSize: 4, layers: 2,
                outputSize: 6, loss: .crossEntropy, targets: .everyStep), carriedState: true))
        }
        return cases
    }()

    @Test(arguments: cases)
    func analyticGradientMatchesFiniteDifferences(_ c: Case) {
        var shapes = Xoshiro256(seed: UInt64(c.name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        let b = 2 + shapes.below(2), t = 3 + shapes.below(3)
        let harness = Harness<Double>(c.spec, batch: b, seq: t, seed: 3)
        let batch: Batch<Double> = randomBatch(c.spec, batch: b, seq: t, seed: 11, masked: c.masked)

        var carried: [Double] = []
        if c.carriedState {
            // Run a first chunk and carry its final state: the second chunk's gradient must treat it as
            // a constant (no gradient across the cut), which is what re-importing it below does too.
            let first: Batch<Double> = randomBatch(c.spec, batch: b, seq: t, seed: 12)
            _ = harness.loss(first)
            harness.workspace.carryState()
            carried = harness.workspace.exportState(batchSize: b)
            #expect(carried.contains { $0 != 0 }, "the carried state should be non-zero")
        }
        func loss() -> Double {
            if c.carriedState { harness.workspace.importState(carried, batchSize: b) }
            return harness.loss(batch, training: c.dropout)
        }

        if c.carriedState { harness.workspace.importState(carried, batchSize: b) }
        harness.lossAndGradients(batch, training: c.dropout)
        let analytic = harness.gradients.array

        var pick = Xoshiro256(seed: 5)
        var checkedAnalytic: [Double] = [], numeric: [Double] = [], names: [String] = []
        for tensor in harness.network.layout.tensors {
            let indices = tensor.count <= 40 ? Array(tensor.range) : (0..<40).map { _ in tensor.offset + pick.below(tensor.count) }
            for i in indices {
                let h = 1e-3
                let saved = harness.parameters[i]
                func at(_ delta: Double) -> Double {
                    harness.parameters[i] = saved + delta
                    return loss()
                }
                let d = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
                harness.parameters[i] = saved
                numeric.append(d)
                checkedAnalytic.append(analytic[i])
                names.append("\(tensor.name)[\(i - tensor.offset)]")
            }
        }
        #expect(numeric.contains { abs($0) > 1e-6 }, "the loss should depend on the parameters")
        let (error, index) = largestRelativeError(checkedAnalytic, numeric, floor: 1e-6)
        #expect(error <= 1e-6, "largest relative error \(error) at \(names[max(index, 0)]): analytic \(checkedAnalytic[max(index, 0)]), numeric \(numeric[max(index, 0)])")
    }
}
