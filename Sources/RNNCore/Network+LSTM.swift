/// LSTM, gate order i, f, g, o (PyTorch):
///   [i f g o] = σσtanhσ(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh),  c' = f⊙c + i⊙g,  h' = o⊙tanh(c')
extension Network {
    func lstmForward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, input: UnsafePointer<Scalar>, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, g = 4 * h, d = w.inputWidth
        let gates = ws.gates[l].pointer, hs = ws.hidden[l].pointer, cs = ws.cell[l].pointer, tc = ws.tanhCell[l].pointer
        let bias = ws.bias.pointer
        for j in 0..<g { bias[j] = w.inputBias[j] + w.hiddenBias[j] }
        project(input, rows: b * t, width: d, weights: w.inputWeights, bias: bias, outputs: g, into: gates)

        for step in 0..<t {
            let gt = gates + step * b * g
            let hPrev = hs + step * b * h, hNext = hPrev + b * h
            let cPrev = cs + step * b * h, cNext = cPrev + b * h
            let tct = tc + step * b * h
            Scalar.gemm(transA: false, transB: true, m: b, n: g, k: h, alpha: 1, a: hPrev, lda: h,
                        b: w.hiddenWeights, ldb: h, beta: 1, c: gt, ldc: g)
            for r in 0..<b {
                let row = gt + r * g
                Scalar.sigmoidInPlace(row, count: 2 * h)       // i, f
                Scalar.tanhInPlace(row + 2 * h, count: h)      // g
                Scalar.sigmoidInPlace(row + 3 * h, count: h)   // o
                let cp = cPrev + r * h, cn = cNext + r * h
                for j in 0..<h { cn[j] = row[h + j] * cp[j] + row[j] * row[2 * h + j] }
                Scalar.tanh(cn, into: tct + r * h, count: h)
                let tr = tct + r * h, hn = hNext + r * h
                for j in 0..<h { hn[j] = row[3 * h + j] * tr[j] }
            }
        }
    }

    func lstmBackward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, gradients dw: RecurrentGradients<Scalar>,
        input: UnsafePointer<Scalar>, dInput: UnsafeMutablePointer<Scalar>?, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, g = 4 * h, d = w.inputWidth, n = b * t
        let gates = ws.gates[l].pointer, hs = ws.hidden[l].pointer, cs = ws.cell[l].pointer, tc = ws.tanhCell[l].pointer
        let dG = ws.dGates[l].pointer, dOut = ws.dHidden[l].pointer
        let dh = ws.dHiddenNext.pointer, dc = ws.dCellNext.pointer
        dh.update(repeating: 0, count: b * h)
        dc.update(repeating: 0, count: b * h)

        for step in stride(from: t - 1, through: 0, by: -1) {
            let gt = gates + step * b * g, dgt = dG + step * b * g
            let cPrev = cs + step * b * h, tct = tc + step * b * h, dOutT = dOut + step * b * h
            for r in 0..<b {
                let row = gt + r * g, drow = dgt + r * g
                let o = r * h
                for j in 0..<h {
                    let i = row[j], f = row[h + j], gg = row[2 * h + j], og = row[3 * h + j]
                    let tcj = tct[o + j]
                    let dhj = dOutT[o + j] + dh[o + j]
                    let dcj = dc[o + j] + dhj * og * (1 - tcj * tcj)
                    drow[j] = dcj * gg * i * (1 - i)
                    drow[h + j] = dcj * cPrev[o + j] * f * (1 - f)
                    drow[2 * h + j] = dcj * i * (1 - gg * gg)
                    drow[3 * h + j] = dhj * tcj * og * (1 - og)
                    dc[o + j] = dcj * f
                }
            }
            // No gradient flows into the initial state: it is a constant (zero or carried across the cut).
            if step > 0 {
                Scalar.gemm(transA: false, transB: false, m: b, n: h, k: g, alpha: 1, a: dgt, lda: g,
                            b: w.hiddenWeights, ldb: h, beta: 0, c: dh, ldc: h)
            }
        }
        accumulateWeightGradients(dGates: dG, rows: n, gates: g, x: input, width: d, dWeights: dw.inputWeights, dBias: dw.inputBias)
        accumulateWeightGradients(dGates: dG, rows: n, gates: g, x: hs, width: h, dWeights: dw.hiddenWeights, dBias: dw.hiddenBias)
        if let dInput {
            Scalar.gemm(transA: false, transB: false, m: n, n: d, k: g, alpha: 1, a: dG, lda: g,
                        b: w.inputWeights, ldb: d, beta: 0, c: dInput, ldc: d)
        }
    }
}
