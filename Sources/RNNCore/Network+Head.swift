/// The linear head and the losses.
///
/// Cross-entropy: softmax over the outputs, loss −log p[target], weighted by the mask, summed; its gradient
/// at the logits is (p − onehot)·weight. MSE: Σ weight·(y − target)² over every output value; gradient
/// 2·(y − target)·weight. Both are divided by the minibatch's target count through `lossScale`.
extension Network {
    /// The top layer's outputs the head reads: every step, or only the last.
    func headInput<Scalar: RNNScalar>(_ ws: Workspace<Scalar>) -> UnsafeMutablePointer<Scalar> {
        let b = ws.batchSize, h = spec.hiddenSize
        let top = ws.hidden[spec.layers - 1].pointer
        return spec.targets == .everyStep ? top + b * h : top + ws.seqLen * b * h
    }

    func headForward<Scalar: RNNScalar>(
        parameters: UnsafePointer<Scalar>, batch: Batch<Scalar>, workspace ws: Workspace<Scalar>
    ) -> LossSum {
        let rows = ws.outputRows, o = spec.outputSize, h = spec.hiddenSize
        let out = ws.outputs.pointer
        project(headInput(ws), rows: rows, width: h, weights: parameters + layout["head.weight"].offset,
                bias: parameters + layout["head.bias"].offset, outputs: o, into: out)
        if let mask = batch.mask { precondition(mask.count == rows, "mask needs one weight per target row") }
        var loss = LossSum()
        switch spec.loss {
        case .crossEntropy:
            var targets: [Int32] = []
            switch batch.target {
            case .classes(let classes):
                precondition(classes.count == rows, "class targets need one index per target row")
                targets = classes
            case .none: break
            case .values: preconditionFailure("cross-entropy needs class targets")
            }
            let targetLogits = ws.targetLogits.pointer
            for r in targets.indices {
                let target = Int(targets[r])
                precondition(target >= 0 && target < o, "class index out of range")
                targetLogits[r] = out[r * o + target]
            }
            Scalar.softmaxRows(out, rows: rows, columns: o, logSumExp: ws.logSumExp.pointer)
            for r in targets.indices {
                let weight = batch.mask.map { Double($0[r]) } ?? 1
                // −log p[target] = log Σ exp − logit[target]: exact even when p[target] underflows.
                loss.sum += weight * (Double(ws.logSumExp[r]) - Double(targetLogits[r]))
                loss.count += weight
            }
        case .meanSquaredError:
            switch batch.target {
            case .values(let values):
                precondition(values.count == rows * o, "value targets need one value per output")
                for r in 0..<rows {
                    let weight = batch.mask.map { Double($0[r]) } ?? 1
                    for j in 0..<o {
                        let diff = Double(out[r * o + j]) - Double(values[r * o + j])
                        loss.sum += weight * diff * diff
                    }
                    loss.count += weight * Double(o)
                }
            case .none: break
            case .classes: preconditionFailure("mean squared error needs value targets")
            }
        }
        return loss
    }

    func headBackward<Scalar: RNNScalar>(
        parameters: UnsafePointer<Scalar>, gradients: UnsafeMutablePointer<Scalar>, batch: Batch<Scalar>,
        workspace ws: Workspace<Scalar>, lossScale: Scalar, dTop: UnsafeMutablePointer<Scalar>
    ) {
        let rows = ws.outputRows, o = spec.outputSize, h = spec.hiddenSize, b = ws.batchSize, t = ws.seqLen
        let out = ws.outputs.pointer, dOut = ws.dOutputs.pointer
        switch (spec.loss, batch.target) {
        case (.crossEntropy, .classes(let targets)):
            for r in 0..<rows {
                let weight = (batch.mask?[r] ?? 1) * lossScale
                for j in 0..<o { dOut[r * o + j] = out[r * o + j] * weight }
                dOut[r * o + Int(targets[r])] -= weight
            }
        case (.meanSquaredError, .values(let values)):
            for r in 0..<rows {
                let weight = 2 * (batch.mask?[r] ?? 1) * lossScale
                for j in 0..<o { dOut[r * o + j] = (out[r * o + j] - values[r * o + j]) * weight }
            }
        default:
            preconditionFailure("backward needs the targets of the network's loss")
        }
        accumulateWeightGradients(dGates: dOut, rows: rows, gates: o, x: headInput(ws), width: h,
                                  dWeights: gradients + layout["head.weight"].offset,
                                  dBiases: [gradients + layout["head.bias"].offset], workspace: ws)
        let headWeights = parameters + layout["head.weight"].offset
        var dRows = dTop
        if spec.targets == .lastStep {
            dTop.update(repeating: 0, count: (t - 1) * b * h)
            dRows = dTop + (t - 1) * b * h
        }
        Scalar.gemm(transA: false, transB: false, m: rows, n: h, k: o, alpha: 1, a: dOut, lda: o,
                    b: headWeights, ldb: h, beta: 0, c: dRows, ldc: h)
    }
}
