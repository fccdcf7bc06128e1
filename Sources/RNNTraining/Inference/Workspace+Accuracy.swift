import RNNCore

extension Workspace where Scalar == Float {
    /// How many rows of the last forward pass put the highest probability on their target class.
    func correctPredictions(_ targets: [Int32]) -> Int {
        let out = lastOutputs, o = spec.outputSize
        var correct = 0
        for r in 0..<outputRows {
            var best = 0
            for j in 1..<o where out[r * o + j] > out[r * o + best] { best = j }
            if best == Int(targets[r]) { correct += 1 }
        }
        return correct
    }
}
