/// Plain (Elman) recurrent layer: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
extension Network {
    func rnnForward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, input: UnsafePointer<Scalar>, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize, d = w.inputWidth
        let hs = ws.hidden[l].pointer, bias = ws.bias.pointer
        for j in 0..<h { bias[j] = w.inputBias[j] + w.hiddenBias[j] }
        // The pre-activations of step t are written straight into its output block and squashed in place.
        project(input, rows: b * t, width: d, weights: w.inputWeights, bias: bias, outputs: h, into: hs + b * h)
        packWeights(w, forward: true, workspace: ws)
        for step in 0..<t {
            let hPrev = hs + step * b * h, hNext = hPrev + b * h
            recurrentForward(hPrev, rows: b, weights: w, workspace: ws, accumulate: true, into: hNext)
            Scalar.tanhInPlace(hNext, count: b * h)
        }
    }

    /// Back-propagation through time for one plain layer, from the forward pass above. With a = the
    /// pre-activation (x·W_ihᵀ + b_ih + h_prev·W_hhᵀ + b_hh) and h' = tanh(a), per step and unit:
    ///   d a = (dh_out + dh_next)·(1 - h'²)
    /// where dh_out comes from the layer above at this step and dh_next from step t+1 through W_hh. The
    /// forward pass kept h' (not a), and tanh' = 1 - tanh², so nothing else is needed. d a is at once the
    /// gradient of the input projection and of the recurrent product (they add into one pre-activation),
    /// and dh_prev = d a · W_hh, computed by `recurrentBackward` before the previous step. This product,
    /// repeated T times with |1 - h'²| ≤ 1, is why the gradient vanishes over long spans (docs/architecture.md, "Why LSTMs").
    func rnnBackward<Scalar: RNNScalar>(
        layer l: Int, weights w: RecurrentWeights<Scalar>, gradients dw: RecurrentGradients<Scalar>,
        input: UnsafePointer<Scalar>, dInput: UnsafeMutablePointer<Scalar>?, workspace ws: Workspace<Scalar>
    ) {
        let b = ws.batchSize, t = ws.seqLen, h = spec.hiddenSize
        let hs = ws.hidden[l].pointer, dG = ws.dGates[l].pointer, dOut = ws.dHidden[l].pointer
        let dh = ws.dHiddenNext.pointer
        dh.update(repeating: 0, count: b * h)
        packWeights(w, forward: false, workspace: ws)
        for step in stride(from: t - 1, through: 0, by: -1) {
            let hOut = hs + (step + 1) * b * h, dgt = dG + step * b * h, dOutT = dOut + step * b * h
            ws.traceHiddenGradient(layer: l, step: step, dOut: dOutT, dNext: dh)
            for i in 0..<(b * h) { dgt[i] = (dOutT[i] + dh[i]) * (1 - hOut[i] * hOut[i]) }
            if step > 0 {
                recurrentBackward(dgt, rows: b, weights: w, workspace: ws, accumulate: false, into: dh)
            }
        }
        finishLayerBackward(layer: l, weights: w, gradients: dw, dInputGates: dG, dHiddenGates: dG, input: input,
                            dInput: dInput, workspace: ws)
    }
}
