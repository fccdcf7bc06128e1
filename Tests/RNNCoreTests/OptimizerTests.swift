import RNNCore
import Testing

/// Update rules against values worked out by hand from PyTorch's documented formulas.
@Suite struct OptimizerTests {
    func run(_ kind: OptimizerKind, weightDecay: Double = 0, gradients: [[Double]], start: [Double] = [1, -2], lr: Double) -> [Double] {
        let optimizer = Optimizer<Double>(kind: kind, weightDecay: weightDecay, parameterCount: start.count)
        let p = Buffer(start)
        for g in gradients {
            let gb = Buffer(g)
            optimizer.update(parameters: p.pointer, gradients: gb.pointer, range: 0..<p.count, lr: lr)
            optimizer.finishStep()
        }
        return p.array
    }

    @Test func sgdWithNesterovMomentum() {
        // buf1 = g1 = 1; p = 1 - 0.1·(1 + 0.9·1) = 0.81; buf2 = 0.9·1 + 1 = 1.9; p = 0.81 - 0.1·(1 + 0.9·1.9) = 0.539
        let p = run(.sgd(momentum: 0.9, nesterov: true), gradients: [[1, 0], [1, 0]], lr: 0.1)
        #expect(abs(p[0] - 0.539) < 1e-12, "\(p)")
        #expect(p[1] == -2)
    }

    @Test func adamFirstStepMovesByLearningRate() {
        // Bias-corrected m̂ = g, v̂ = g²: the first step is lr·sign(g) (up to ε).
        let p = run(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), gradients: [[0.5, -3]], lr: 0.1)
        #expect(abs(p[0] - 0.9) < 1e-7 && abs(p[1] - -1.9) < 1e-7, "\(p)")
    }

    @Test func adamWDecaysDecoupledFromTheGradient() {
        // p ← p·(1 − lr·wd) then the Adam step: 1·(1 − 0.01) − 0.1 = 0.89
        let p = run(.adamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), weightDecay: 0.1, gradients: [[0.5, 0.5]], lr: 0.1)
        #expect(abs(p[0] - 0.89) < 1e-7, "\(p)")
        // Adam with L2 instead: the decay enters the gradient and is normalised away on the first step.
        let l2 = run(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), weightDecay: 0.1, gradients: [[0.5, 0.5]], lr: 0.1)
        #expect(abs(l2[0] - 0.9) < 1e-7, "\(l2)")
    }

    @Test func rmspropFirstStep() {
        // sq = 0.01·g² ; p = 1 − lr·g/(√sq + ε) = 1 − 0.01·g/(0.1·|g|) = 0.9
        let p = run(.rmsprop(alpha: 0.99, epsilon: 0, momentum: 0), gradients: [[2, 0.5]], lr: 0.01)
        #expect(abs(p[0] - 0.9) < 1e-12, "\(p)")
    }

    /// The Float updates run in C (vectorised, fused multiply-adds): they must follow the Double reference to
    /// Float precision for every rule, and give the same bits whether the buffer is updated whole or in ranges.
    @Test(arguments: [
        OptimizerKind.sgd(momentum: 0, nesterov: false), .sgd(momentum: 0.9, nesterov: false), .sgd(momentum: 0.9, nesterov: true),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), .adamW(beta1: 0.9, beta2: 0.99, epsilon: 1e-6),
        .rmsprop(alpha: 0.99, epsilon: 1e-8, momentum: 0), .rmsprop(alpha: 0.9, epsilon: 1e-8, momentum: 0.5),
    ])
    func floatUpdatesFollowTheDoubleReference(kind: OptimizerKind) {
        let n = 1003  // not a multiple of any vector width: the loops' remainders run too
        var rng = Xoshiro256(seed: 77)
        let start = (0..<n).map { _ in rng.normal() }
        let steps = (0..<4).map { _ in (0..<n).map { _ in rng.normal() * 0.1 } }
        let double = Optimizer<Double>(kind: kind, weightDecay: 0.01, parameterCount: n)
        let whole = Optimizer<Float>(kind: kind, weightDecay: 0.01, parameterCount: n)
        let split = Optimizer<Float>(kind: kind, weightDecay: 0.01, parameterCount: n)
        let pd = Buffer(start), pw = Buffer(start.map(Float.init)), ps = Buffer(start.map(Float.init))
        for g in steps {
            let gd = Buffer(g), gf = Buffer(g.map(Float.init))
            double.update(parameters: pd.pointer, gradients: gd.pointer, range: 0..<n, lr: 0.01)
            whole.update(parameters: pw.pointer, gradients: gf.pointer, range: 0..<n, lr: 0.01)
            for range in [0..<17, 17..<500, 500..<n] { split.update(parameters: ps.pointer, gradients: gf.pointer, range: range, lr: 0.01) }
            for o in [double.finishStep, whole.finishStep, split.finishStep] { o() }
        }
        #expect(pw.array.map(\.bitPattern) == ps.array.map(\.bitPattern), "ranges changed the numbers")
        let worst = zip(pw.array, pd.array).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-5, "largest difference from the Double reference \(worst)")
        #expect(zip(pw.array, start).contains { Double($0) != $1 }, "the parameters moved")
    }

    @Test func schedules() {
        let step = LearningRateSchedule(base: 1, shape: .step(every: 10, gamma: 0.5))
        #expect(step.rate(atStep: 9) == 1 && step.rate(atStep: 10) == 0.5 && step.rate(atStep: 25) == 0.25)
        let exponential = LearningRateSchedule(base: 2, shape: .exponential(gamma: 0.9))
        #expect(abs(exponential.rate(atStep: 3) - 2 * 0.729) < 1e-12)
        let cosine = LearningRateSchedule(base: 1, shape: .cosine(totalSteps: 100, minimum: 0.1), warmupSteps: 10)
        #expect(abs(cosine.rate(atStep: 0) - 0.1) < 1e-12)   // warm-up: 1/10 of the base
        #expect(abs(cosine.rate(atStep: 9) - 1) < 1e-12)
        #expect(abs(cosine.rate(atStep: 10) - 1) < 1e-12)    // cosine starts at the base
        #expect(abs(cosine.rate(atStep: 60) - 0.55) < 1e-12) // half way: the mean of base and minimum
        #expect(abs(cosine.rate(atStep: 500) - 0.1) < 1e-12)
    }

    @Test func clippingReturnsNormBeforeClipping() {
        let g = Buffer<Float>([3, 4])
        let result = GradientClipping.clip(g.pointer, count: 2, maxNorm: 1)
        #expect(result == .finite(norm: 5, scale: 1 / (5 + 1e-6)))
        #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
        let small = Buffer<Float>([0.3, 0.4])
        #expect(GradientClipping.clip(small.pointer, count: 2, maxNorm: 1) == .finite(norm: Double(Float(0.3) * Float(0.3) + Float(0.4) * Float(0.4)).squareRoot(), scale: 1))
        #expect(small.array == [0.3, 0.4])
    }

    @Test func nonFiniteGradientIsReportedAndLeftAlone() {
        let g = Buffer<Float>([1, .nan, 2])
        #expect(GradientClipping.clip(g.pointer, count: 3, maxNorm: 1) == .nonFinite)
        #expect(g[0] == 1 && g[2] == 2)
        let inf = Buffer<Float>([1, .infinity])
        #expect(GradientClipping.clip(inf.pointer, count: 2, maxNorm: 0) == .nonFinite)
    }
}
