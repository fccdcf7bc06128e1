import RNNCore
import Testing

/// The Float path runs vectorised C kernels (gate nonlinearities, fused LSTM steps); the gradient checks
/// cover the Double path. Same parameters and data in both: losses and gradients must agree to Float
/// precision.
@Suite struct FloatKernelTests {
    @Test(arguments: CellKind.allCases)
    func floatPathMatchesDoubleReference(cell: CellKind) {
        let spec = NetworkSpec(input: .features(featureCount: 3), cell: cell, hiddenSize: 37, layers: 2,
                               outputSize: 4, loss: .crossEntropy, targets: .everyStep)
        let b = 5, t = 9
        let double = Harness<Double>(spec, batch: b, seq: t, seed: 4)
        let float = Harness<Float>(spec, batch: b, seq: t, seed: 4)
        // Scale the weights up so the nonlinearities are exercised beyond their linear region.
        for i in 0..<double.parameters.count { double.parameters[i] *= 3 }
        for i in 0..<float.parameters.count { float.parameters[i] = Float(double.parameters[i]) }
        let batchD: Batch<Double> = randomBatch(spec, batch: b, seq: t, seed: 5)
        guard case .features(let x) = batchD.input, case .classes(let y) = batchD.target else { Issue.record("batch kind"); return }
        let batchF = Batch<Float>(batchSize: b, seqLen: t, input: .features(x.map(Float.init)), target: .classes(y))

        let lossD = double.lossAndGradients(batchD)
        let lossF = float.lossAndGradients(batchF)
        #expect(abs(lossD - lossF) <= 1e-5 * abs(lossD), "loss \(lossF) vs \(lossD)")
        let gd = double.gradients.array, gf = float.gradients.array.map(Double.init)
        let scale = gd.map(abs).max()!
        let (error, index) = largestRelativeError(gf, gd, floor: scale)
        #expect(error <= 1e-4, "largest gradient difference \(error) (relative to the largest gradient) at \(index): \(gf[index]) vs \(gd[index])")
    }

    @Test func nonlinearitiesAreAccurate() {
        let xs = stride(from: -20.0, through: 20.0, by: 0.013).map { Float($0) } + [0, 1e-6, -1e-6, 1e-30, 88, -88, 200, -200]
        let s = Buffer<Float>(xs), th = Buffer<Float>(xs)
        Float.sigmoidInPlace(s.pointer, count: xs.count)
        Float.tanhInPlace(th.pointer, count: xs.count)
        for (i, x) in xs.enumerated() {
            let sig = 1 / (1 + Double.exp(-Double(x))), tan = Double.tanh(Double(x))
            #expect(abs(Double(s[i]) - sig) <= 4e-7 * max(sig, 1e-30) + 1e-38, "sigmoid(\(x)) = \(s[i]), want \(sig)")
            #expect(abs(Double(th[i]) - tan) <= 4e-7 * abs(tan) + 1e-38, "tanh(\(x)) = \(th[i]), want \(tan)")
        }
    }
}

@Suite struct PackedProductTests {
    /// The packed recurrent product against OpenBLAS, over shapes that exercise every row and panel
    /// remainder of both register tilings (6 rows × 4 panels of 16 columns; 8 × 3 for k ≥ 256).
    @Test(arguments: [(1, 1, 1), (5, 17, 3), (6, 64, 8), (7, 65, 9), (13, 100, 33), (32, 256, 64), (3, 48, 129), (16, 70, 256), (40, 33, 300)])
    func packedProductMatchesBLAS(m: Int, n: Int, k: Int) {
        var rng = Xoshiro256(seed: UInt64(m * 1000 + n * 10 + k))
        let a = Buffer<Float>((0..<(m * k)).map { _ in Float(rng.normal()) })
        for transposed in [true, false] {
            let w = Buffer<Float>((0..<(n * k)).map { _ in Float(rng.normal()) })  // n × k if transposed, else k × n
            let ldw = transposed ? k : n
            let packed = Buffer<Float>(count: Float.packedCount(k: k, n: n))
            Float.pack(w.pointer, ldw: ldw, transposed: transposed, k: k, n: n, into: packed.pointer)
            for accumulate in [false, true] {
                let start = (0..<(m * n)).map { _ in Float(rng.normal()) }
                let expected = Buffer(start), actual = Buffer(start)
                Float.gemm(transA: false, transB: transposed, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: k,
                           b: w.pointer, ldb: ldw, beta: accumulate ? 1 : 0, c: expected.pointer, ldc: n)
                Float.gemmPacked(m: m, n: n, k: k, a: a.pointer, lda: k, packed: packed.pointer, weights: w.pointer,
                                 ldw: ldw, transposed: transposed, accumulate: accumulate, c: actual.pointer, ldc: n)
                let worst = zip(expected.array, actual.array).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-4 * Float(k).squareRoot(), "m \(m) n \(n) k \(k) transposed \(transposed) accumulate \(accumulate): \(worst)")
            }
        }
    }
}
