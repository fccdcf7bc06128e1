/// LSTM, gate order i, f, g, o (PyTorch):
///   [i f g o] = σσtanhσ(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh),  c' = f⊙c + i⊙g,  h' = o⊙tanh(c')
///
/// The input projection runs inside each step: x_t·W_ihᵀ and h·W_hhᵀ are summed in the product's registers
/// with the bias, over weights packed once per pass, so the gates are written once per step and never
/// broadcast or re-read (one large GEMM over all steps, then the recurrent product adding into its output,
/// cost two passes over the gates). Each step's [x_t | h_{t−1}] rows are kept side by side (`stepInputs`), so
/// backward takes both weight gradients in one GEMM; it computes each step's input gradient dG_t·W_ih while
/// dG_t is still in cache.
extension Network {
    func lstmForward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, input: UnsafePointer<Scalar>, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, g = 4 * h, d = w.inputWidth
        let gates = ws.gates[l].pointer, hs = ws.hidden[l].pointer, cs = ws.cell[l].pointer, tc = ws.tanhCell[l].pointer
        let bias = ws.bias.pointer
        for j in 0..<g { bias[j] = w.inputBias[j] + w.hiddenBias[j] }
        packWeights(w, forward: true, workspace: ws)

        let xh = ws.stepInputs[l].pointer, width = d + h
        for step in 0..<t {
            let gt = gates + step * b * g
            let hPrev = hs + step * b * h, hNext = hPrev + b * h
            let cPrev = cs + step * b * h, cNext = cPrev + b * h
            let tct = tc + step * b * h
            let xht = xh + step * b * width
            for r in 0..<b {
                (xht + r * width).update(from: input + (step * b + r) * d, count: d)
                (xht + r * width + d).update(from: hPrev + r * h, count: h)
            }
            let x = PackedTerm(a: UnsafePointer(xht), lda: width, k: d, packed: ws.packedInputForward.pointer, weights: w.inputWeights,
                               ldw: d, transposed: true)
            let hidden = PackedTerm(a: UnsafePointer(xht + d), lda: width, k: h, packed: ws.packedForward.pointer, weights: w.hiddenWeights,
                                    ldw: h, transposed: true)
            Scalar.gemmPacked(m: b, n: g, x, plus: hidden, bias: bias, accumulate: false, c: gt, ldc: g)
            Scalar.lstmStepForward(gates: gt, cellPrev: cPrev, cellNext: cNext, tanhCell: tct, hiddenNext: hNext, rows: b, hidden: h)
        }
    }

    /// `input` is not read: the forward pass kept each step's input in `stepInputs`, beside h_{t−1}.
    func lstmBackward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, gradients dw: RecurrentGradients<Scalar>,
        input: UnsafePointer<Scalar>, dInput: UnsafeMutablePointer<Scalar>?, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, g = 4 * h, d = w.inputWidth
        let gates = ws.gates[l].pointer, cs = ws.cell[l].pointer, tc = ws.tanhCell[l].pointer
        let dG = ws.dGates[l].pointer, dOut = ws.dHidden[l].pointer
        let dh = ws.dHiddenNext.pointer, dc = ws.dCellNext.pointer
        dh.update(repeating: 0, count: b * h)
        dc.update(repeating: 0, count: b * h)
        let dBias = ws.columnSums.pointer
        dBias.update(repeating: 0, count: g)
        packWeights(w, forward: false, workspace: ws)

        for step in stride(from: t - 1, through: 0, by: -1) {
            let gt = gates + step * b * g, dgt = dG + step * b * g
            let cPrev = cs + step * b * h, tct = tc + step * b * h, dOutT = dOut + step * b * h
            // d h_t = dOut_t + dh (from step t+1);  dc_t = dc + dh⊙o⊙(1 − tanh²c_t)
            // d[i f g o] at the pre-activations: dc⊙g⊙i(1−i), dc⊙c_{t−1}⊙f(1−f), dc⊙i⊙(1−g²), dh⊙tanh c_t⊙o(1−o)
            // dc_{t−1} = dc⊙f;  dh_{t−1} = dG_t · W_hh;  dx_t = dG_t · W_ih
            ws.traceHiddenGradient(layer: l, step: step, dOut: dOutT, dNext: dh)
            Scalar.lstmStepBackward(gates: gt, cellPrev: cPrev, tanhCell: tct, dOutput: dOutT, dHidden: dh, dCell: dc, dGates: dgt,
                                    dBias: dBias, rows: b, hidden: h)
            // No gradient flows into the initial state: it is a constant (zero or carried across the cut).
            if step > 0 {
                recurrentBackward(dgt, rows: b, weights: w, workspace: ws, accumulate: false, into: dh)
            }
            if let dInput {
                let dx = PackedTerm(a: UnsafePointer(dgt), lda: g, k: g, packed: ws.packedInputBackward.pointer, weights: w.inputWeights,
                                    ldw: d, transposed: false)
                Scalar.gemmPacked(m: b, n: d, dx, plus: nil, bias: nil, accumulate: false, c: dInput + step * b * d, ldc: d)
            }
        }
        // Both weight gradients of all steps in one GEMM, [dW_ih | dW_hh] = dGᵀ · [x | h_prev] (one pass over dG
        // instead of two); both biases' gradients are the gate gradients' sums.
        let width = d + h, dW = ws.weightGradients.pointer
        Scalar.gemm(transA: true, transB: false, m: g, n: width, k: b * t, alpha: 1, a: dG, lda: g, b: ws.stepInputs[l].pointer,
                    ldb: width, beta: 0, c: dW, ldc: width)
        for r in 0..<g {
            let row = dW + r * width, ih = dw.inputWeights + r * d, hh = dw.hiddenWeights + r * h
            for j in 0..<d { ih[j] += row[j] }
            for j in 0..<h { hh[j] += row[d + j] }
        }
        for j in 0..<g {
            dw.inputBias[j] += dBias[j]
            dw.hiddenBias[j] += dBias[j]
        }
    }
}
