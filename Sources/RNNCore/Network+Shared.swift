/// Shared pieces of the three cells.
extension Network {
    /// out[r, :] = X[r, :] · Wᵀ + bias for all N rows: the input projection of every time step in one GEMM.
    func project<Scalar: RNNScalar>(
        _ x: UnsafePointer<Scalar>, rows: Int, width: Int, weights: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>,
        outputs: Int, into out: UnsafeMutablePointer<Scalar>
    ) {
        for r in 0..<rows { (out + r * outputs).update(from: bias, count: outputs) }
        Scalar.gemm(transA: false, transB: true, m: rows, n: outputs, k: width, alpha: 1, a: x, lda: width,
                    b: weights, ldb: width, beta: 1, c: out, ldc: outputs)
    }

    /// Packs the weights for the per-step products of one pass: W_hh (forward h · W_hhᵀ, or backward
    /// dG · W_hh) and, for the LSTM, whose input projection runs inside the step too, W_ih the same way.
    func packWeights<Scalar: RNNScalar>(_ w: RecurrentWeights<Scalar>, forward: Bool, workspace ws: Workspace<Scalar>) {
        let h = spec.hiddenSize, g = spec.cell.gateCount * h, d = w.inputWidth
        let packsInput = spec.cell == .lstm
        if forward {
            Scalar.pack(w.hiddenWeights, ldw: h, transposed: true, k: h, n: g, into: ws.packedForward.pointer)
            if packsInput { Scalar.pack(w.inputWeights, ldw: d, transposed: true, k: d, n: g, into: ws.packedInputForward.pointer) }
        } else {
            Scalar.pack(w.hiddenWeights, ldw: h, transposed: false, k: g, n: h, into: ws.packedBackward.pointer)
            if packsInput { Scalar.pack(w.inputWeights, ldw: d, transposed: false, k: g, n: d, into: ws.packedInputBackward.pointer) }
        }
    }

    /// h · W_hhᵀ, forward: [rows, H] · [H, G] over the packed W_hhᵀ.
    func hiddenForwardTerm<Scalar: RNNScalar>(_ hPrev: UnsafePointer<Scalar>, weights w: RecurrentWeights<Scalar>, workspace ws: Workspace<Scalar>) -> PackedTerm<Scalar> {
        let h = spec.hiddenSize
        return PackedTerm(a: hPrev, lda: h, k: h, packed: ws.packedForward.pointer, weights: w.hiddenWeights, ldw: h, transposed: true)
    }

    /// dG · W_hh, backward: [rows, G] · [G, H] over the packed W_hh.
    func hiddenBackwardTerm<Scalar: RNNScalar>(_ dGates: UnsafePointer<Scalar>, weights w: RecurrentWeights<Scalar>, workspace ws: Workspace<Scalar>) -> PackedTerm<Scalar> {
        let h = spec.hiddenSize, g = spec.cell.gateCount * h
        return PackedTerm(a: dGates, lda: g, k: g, packed: ws.packedBackward.pointer, weights: w.hiddenWeights, ldw: h, transposed: false)
    }

    /// gates (+)= h · W_hhᵀ for one step: [b, H] · [H, G].
    func recurrentForward<Scalar: RNNScalar>(
        _ hPrev: UnsafePointer<Scalar>, rows: Int, weights w: RecurrentWeights<Scalar>, workspace ws: Workspace<Scalar>,
        accumulate: Bool, into out: UnsafeMutablePointer<Scalar>
    ) {
        let g = spec.cell.gateCount * spec.hiddenSize
        Scalar.gemmPacked(m: rows, n: g, hiddenForwardTerm(hPrev, weights: w, workspace: ws), plus: nil, bias: nil,
                          accumulate: accumulate, c: out, ldc: g)
    }

    /// dh (+)= dG · W_hh for one step: [b, G] · [G, H].
    func recurrentBackward<Scalar: RNNScalar>(
        _ dGates: UnsafePointer<Scalar>, rows: Int, weights w: RecurrentWeights<Scalar>, workspace ws: Workspace<Scalar>,
        accumulate: Bool, into dh: UnsafeMutablePointer<Scalar>
    ) {
        let h = spec.hiddenSize
        Scalar.gemmPacked(m: rows, n: h, hiddenBackwardTerm(dGates, weights: w, workspace: ws), plus: nil, bias: nil,
                          accumulate: accumulate, c: dh, ldc: h)
    }

    /// The end of a layer's backward pass, after the time loop: the weight and bias gradients of all steps
    /// (one GEMM each) and the gradient w.r.t. the layer's input (one GEMM), if anyone needs it.
    ///
    /// - Parameters:
    ///   - dInputGates: gradient at the input-side pre-activations [N, G].
    ///   - dHiddenGates: at the hidden-side pre-activations; the same matrix for the RNN, whose two biases
    ///     then get the same gradient; GRU's differ in the n gate. (The LSTM finishes its own pass: see
    ///     `Network+LSTM.swift`.)
    func finishLayerBackward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, gradients dw: RecurrentGradients<Scalar>,
        dInputGates: UnsafePointer<Scalar>, dHiddenGates: UnsafePointer<Scalar>,
        input: UnsafePointer<Scalar>, dInput: UnsafeMutablePointer<Scalar>?, workspace ws: Workspace<Scalar>
    ) {
        let n = ws.batchSize * ws.seqLen, h = spec.hiddenSize, g = spec.cell.gateCount * h, d = w.inputWidth
        let shared = dInputGates == dHiddenGates
        accumulateWeightGradients(dGates: dInputGates, rows: n, gates: g, x: input, width: d, dWeights: dw.inputWeights,
                                  dBiases: shared ? [dw.inputBias, dw.hiddenBias] : [dw.inputBias], workspace: ws)
        accumulateWeightGradients(dGates: dHiddenGates, rows: n, gates: g, x: ws.hidden[l].pointer, width: h,
                                  dWeights: dw.hiddenWeights, dBiases: shared ? [] : [dw.hiddenBias], workspace: ws)
        if let dInput {
            Scalar.gemm(transA: false, transB: false, m: n, n: d, k: g, alpha: 1, a: dInputGates, lda: g,
                        b: w.inputWeights, ldb: d, beta: 0, c: dInput, ldc: d)
        }
    }

    /// dW += dGᵀ · X, and db += Σ_rows dG for each of `dBiases`: the weight gradients of all time steps in one
    /// GEMM. The RNN passes both biases at once (their gradients are equal), so the rows are summed once.
    func accumulateWeightGradients<Scalar: RNNScalar>(
        dGates: UnsafePointer<Scalar>, rows: Int, gates: Int, x: UnsafePointer<Scalar>, width: Int,
        dWeights: UnsafeMutablePointer<Scalar>, dBiases: [UnsafeMutablePointer<Scalar>], workspace ws: Workspace<Scalar>
    ) {
        Scalar.gemm(transA: true, transB: false, m: gates, n: width, k: rows, alpha: 1, a: dGates, lda: gates,
                    b: x, ldb: width, beta: 1, c: dWeights, ldc: width)
        guard !dBiases.isEmpty else { return }
        let sums = ws.columnSums.pointer
        sums.update(repeating: 0, count: gates)
        for r in 0..<rows {
            let row = dGates + r * gates
            for j in 0..<gates { sums[j] += row[j] }
        }
        for dBias in dBiases {
            for j in 0..<gates { dBias[j] += sums[j] }
        }
    }
}
