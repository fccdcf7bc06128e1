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
                let term = PackedTerm(a: a.pointer, lda: k, k: k, packed: packed.pointer, weights: w.pointer, ldw: ldw, transposed: transposed)
                Float.gemmPacked(m: m, n: n, term, plus: nil, bias: nil, accumulate: accumulate, c: actual.pointer, ldc: n)
                let worst = zip(expected.array, actual.array).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-4 * Float(k).squareRoot(), "m \(m) n \(n) k \(k) transposed \(transposed) accumulate \(accumulate): \(worst)")
            }
        }
    }

    /// Two terms and a bias summed in registers (the LSTM's x_t·W_ihᵀ + h·W_hhᵀ + b) against three BLAS steps,
    /// with a first term as short as one feature and the second as wide as a hidden layer.
    @Test(arguments: [(1, 1, 1, 1), (5, 17, 1, 64), (6, 64, 64, 8), (7, 65, 9, 33), (32, 256, 64, 256), (64, 100, 300, 3), (40, 48, 129, 200)])
    func twoTermsAndBiasMatchBLAS(m: Int, n: Int, k1: Int, k2: Int) {
        var rng = Xoshiro256(seed: UInt64(m * 1000 + n * 10 + k1 + k2))
        func random(_ count: Int) -> Buffer<Float> { Buffer((0..<count).map { _ in Float(rng.normal()) }) }
        let a1 = random(m * k1), a2 = random(m * k2), w1 = random(n * k1), w2 = random(n * k2), bias = random(n)
        let p1 = Buffer<Float>(count: Float.packedCount(k: k1, n: n)), p2 = Buffer<Float>(count: Float.packedCount(k: k2, n: n))
        Float.pack(w1.pointer, ldw: k1, transposed: true, k: k1, n: n, into: p1.pointer)
        Float.pack(w2.pointer, ldw: k2, transposed: true, k: k2, n: n, into: p2.pointer)
        let expected = Buffer<Float>(count: m * n), actual = random(m * n)  // overwritten: accumulate false
        Float.gemm(transA: false, transB: true, m: m, n: n, k: k1, alpha: 1, a: a1.pointer, lda: k1, b: w1.pointer, ldb: k1, beta: 0, c: expected.pointer, ldc: n)
        Float.gemm(transA: false, transB: true, m: m, n: n, k: k2, alpha: 1, a: a2.pointer, lda: k2, b: w2.pointer, ldb: k2, beta: 1, c: expected.pointer, ldc: n)
        for r in 0..<m { for j in 0..<n { expected[r * n + j] += bias[j] } }
        Float.gemmPacked(m: m, n: n, PackedTerm(a: a1.pointer, lda: k1, k: k1, packed: p1.pointer, weights: w1.pointer, ldw: k1, transposed: true),
                         plus: PackedTerm(a: a2.pointer, lda: k2, k: k2, packed: p2.pointer, weights: w2.pointer, ldw: k2, transposed: true),
                         bias: bias.pointer, accumulate: false, c: actual.pointer, ldc: n)
        let worst = zip(expected.array, actual.array).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4 * Float(k1 + k2).squareRoot(), "m \(m) n \(n) k \(k1)+\(k2): \(worst)")
    }
}
