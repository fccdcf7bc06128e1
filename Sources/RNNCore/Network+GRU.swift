/// GRU in PyTorch's formulation, gate order r, z, n:
///   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
///   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h
extension Network {
    func gruForward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, input: UnsafePointer<Scalar>, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, g = 3 * h, d = w.inputWidth
        let gates = ws.gates[l].pointer, hs = ws.hidden[l].pointer, hnBuf = ws.hiddenGateN[l].pointer
        let hh = ws.stepHidden[l].pointer
        project(input, rows: b * t, width: d, weights: w.inputWeights, bias: w.inputBias, outputs: g, into: gates)
        packWeights(w, forward: true, workspace: ws)

        for step in 0..<t {
            let gt = gates + step * b * g
            let hPrev = hs + step * b * h, hNext = hPrev + b * h
            for r in 0..<b { (hh + r * g).update(from: w.hiddenBias, count: g) }
            recurrentForward(hPrev, rows: b, weights: w, workspace: ws, accumulate: true, into: hh)
            for r in 0..<b {
                let row = gt + r * g, hrow = hh + r * g, hn = hnBuf + (step * b + r) * h
                for j in 0..<(2 * h) { row[j] += hrow[j] }
                Scalar.sigmoidInPlace(row, count: 2 * h)  // r, z
                for j in 0..<h {
                    hn[j] = hrow[2 * h + j]
                    row[2 * h + j] += row[j] * hn[j]
                }
                Scalar.tanhInPlace(row + 2 * h, count: h)  // n
                let hp = hPrev + r * h, ho = hNext + r * h
                for j in 0..<h {
                    let z = row[h + j]
                    ho[j] = (1 - z) * row[2 * h + j] + z * hp[j]
                }
            }
        }
    }

    /// Back-propagation through time for one GRU layer, from the forward pass above. Per step and unit, with
    /// dh the gradient reaching h' (from the layer above at this step, plus from step t+1 through W_hh):
    ///   h' = (1 - z)·n + z·h_prev            ⇒ ∂h'/∂n = 1 - z,   ∂h'/∂z = h_prev - n,   ∂h'/∂h_prev ∋ z
    ///   n = tanh(a_n), a_n = x_n + r·hn       ⇒ d a_n = dh·(1 - z)·(1 - n²)            (`dnPre`)
    ///   z = σ(a_z)                            ⇒ d a_z = dh·(h_prev - n)·z·(1 - z)      (`dzPre`)
    ///   r = σ(a_r), enters a_n as r·hn        ⇒ d a_r = d a_n·hn·r·(1 - r)             (`drPre`)
    /// where hn = W_hn h_prev + b_hn was kept by the forward pass. The input projection's gradients are the
    /// pre-activation gradients as they are (r, z, n); the recurrent product's are the same for r and z but
    /// d a_n·r for n, because r multiplies W_hn h_prev + b_hn. dh_prev = dh·z plus dG_h · W_hh (added by
    /// `recurrentBackward` before the previous step).
    func gruBackward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, gradients dw: RecurrentGradients<Scalar>,
        input: UnsafePointer<Scalar>, dInput: UnsafeMutablePointer<Scalar>?, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, g = 3 * h
        let gates = ws.gates[l].pointer, hs = ws.hidden[l].pointer, hnBuf = ws.hiddenGateN[l].pointer
        let dGx = ws.dGates[l].pointer, dGh = ws.dGatesHidden[l].pointer, dOut = ws.dHidden[l].pointer
        let dh = ws.dHiddenNext.pointer
        dh.update(repeating: 0, count: b * h)
        packWeights(w, forward: false, workspace: ws)

        for step in stride(from: t - 1, through: 0, by: -1) {
            let hPrev = hs + step * b * h, dOutT = dOut + step * b * h
            ws.traceHiddenGradient(layer: l, step: step, dOut: dOutT, dNext: dh)
            for r in 0..<b {
                let row = gates + (step * b + r) * g, hn = hnBuf + (step * b + r) * h
                let dx = dGx + (step * b + r) * g, dhh = dGh + (step * b + r) * g
                let o = r * h
                for j in 0..<h {
                    let rg = row[j], z = row[h + j], nn = row[2 * h + j]
                    let dhj = dOutT[o + j] + dh[o + j]
                    let dnPre = dhj * (1 - z) * (1 - nn * nn)
                    let dzPre = dhj * (hPrev[o + j] - nn) * z * (1 - z)
                    let drPre = dnPre * hn[j] * rg * (1 - rg)
                    dx[j] = drPre; dx[h + j] = dzPre; dx[2 * h + j] = dnPre
                    dhh[j] = drPre; dhh[h + j] = dzPre; dhh[2 * h + j] = dnPre * rg
                    dh[o + j] = dhj * z
                }
            }
            if step > 0 {
                recurrentBackward(dGh + step * b * g, rows: b, weights: w, workspace: ws, accumulate: true, into: dh)
            }
        }
        finishLayerBackward(layer: l, weights: w, gradients: dw, dInputGates: dGx, dHiddenGates: dGh, input: input,
                            dInput: dInput, workspace: ws)
    }
}
