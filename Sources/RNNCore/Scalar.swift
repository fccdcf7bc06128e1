import COpenBLAS
import CRNNKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A floating-point type the numeric core computes in: `Float` for training (sgemm), `Double` for
/// gradient checks (dgemm).
///
/// The elementwise kernels are requirements rather than extensions so that `Float` can use vectorised
/// versions while `Double` keeps libm's accuracy for finite-difference checks.
public protocol RNNScalar: BinaryFloatingPoint, Sendable where RawSignificand: FixedWidthInteger {
    /// C = alpha · op(A) · op(B) + beta · C, row-major.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// x[i] = 1 / (1 + e^(-x[i])) for i in 0..<count.
    static func sigmoidInPlace(_ x: UnsafeMutablePointer<Self>, count: Int)
    /// x[i] = tanh(x[i]) for i in 0..<count.
    static func tanhInPlace(_ x: UnsafeMutablePointer<Self>, count: Int)
    /// y[i] = tanh(x[i]) for i in 0..<count.
    static func tanh(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, count: Int)
    /// Softmax of each row in place; logSumExp[r] = log Σ_j exp(x[r, j]) (before normalising).
    static func softmaxRows(_ x: UnsafeMutablePointer<Self>, rows: Int, columns: Int, logSumExp: UnsafeMutablePointer<Self>)
    /// Elements of the packed form of a k × n recurrent operand (0 where the type does not pack).
    static func packedCount(k: Int, n: Int) -> Int
    /// Packs B (k × n) once per pass: B = Wᵀ when `transposed` (W is n × k), else W (k × n); row stride ldw.
    static func pack(_ w: UnsafePointer<Self>, ldw: Int, transposed: Bool, k: Int, n: Int, into packed: UnsafeMutablePointer<Self>)
    /// C (=|+=) A1 · B1 [+ A2 · B2] [+ bias on every row] over packed right operands (see `PackedTerm`); the
    /// terms are summed before C is touched, so C is read (accumulate) and written once.
    static func gemmPacked(
        m: Int, n: Int, _ first: PackedTerm<Self>, plus second: PackedTerm<Self>?, bias: UnsafePointer<Self>?, accumulate: Bool,
        c: UnsafeMutablePointer<Self>, ldc: Int)
    /// The pointwise part of one LSTM step for `rows` rows (see `Network+LSTM.swift`).
    static func lstmStepForward(
        gates: UnsafeMutablePointer<Self>, cellPrev: UnsafePointer<Self>, cellNext: UnsafeMutablePointer<Self>,
        tanhCell: UnsafeMutablePointer<Self>, hiddenNext: UnsafeMutablePointer<Self>, rows: Int, hidden: Int)
    /// The pointwise part of one LSTM step backward for `rows` rows (see `Network+LSTM.swift`); adds the
    /// column sums of the gate gradients to `dBias` [4H].
    static func lstmStepBackward(
        gates: UnsafePointer<Self>, cellPrev: UnsafePointer<Self>, tanhCell: UnsafePointer<Self>,
        dOutput: UnsafePointer<Self>, dHidden: UnsafePointer<Self>, dCell: UnsafeMutablePointer<Self>,
        dGates: UnsafeMutablePointer<Self>, dBias: UnsafeMutablePointer<Self>, rows: Int, hidden: Int)
    /// Adam's (and AdamW's) update of `count` parameters: g' = g + l2·p; m = β1·m + (1−β1)·g';
    /// v = β2·v + (1−β2)·g'²; p = p·decay − stepSize · m / (√v / rootC2 + ε).
    static func adamUpdate(
        _ p: UnsafeMutablePointer<Self>, gradients g: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
        count: Int, beta1: Self, beta2: Self, stepSize: Self, rootC2: Self, epsilon: Self, decay: Self, l2: Self)
    /// SGD's update: g' = g + wd·p; with a momentum buffer, buf = first ? g' : μ·buf + g' and
    /// p −= lr·(nesterov ? g' + μ·buf : buf); without one, p −= lr·g'.
    static func sgdUpdate(
        _ p: UnsafeMutablePointer<Self>, gradients g: UnsafePointer<Self>, momentumBuffer: UnsafeMutablePointer<Self>?, count: Int,
        lr: Self, weightDecay: Self, momentum: Self, nesterov: Bool, first: Bool)
    /// RMSprop's update: g' = g + wd·p; sq = α·sq + (1−α)·g'²; s = g' / (√sq + ε); with a momentum buffer
    /// buf = μ·buf + s and p −= lr·buf, else p −= lr·s.
    static func rmspropUpdate(
        _ p: UnsafeMutablePointer<Self>, gradients g: UnsafePointer<Self>, squares: UnsafeMutablePointer<Self>,
        momentumBuffer: UnsafeMutablePointer<Self>?, count: Int, lr: Self, weightDecay: Self, alpha: Self, epsilon: Self, momentum: Self)
}

extension RNNScalar {
    /// Reference implementation (used for Double).
    public static func adamUpdate(
        _ p: UnsafeMutablePointer<Self>, gradients g: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
        count: Int, beta1: Self, beta2: Self, stepSize: Self, rootC2: Self, epsilon: Self, decay: Self, l2: Self
    ) {
        for i in 0..<count {
            let grad = g[i] + l2 * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            p[i] = p[i] * decay - stepSize * m[i] / (v[i].squareRoot() / rootC2 + epsilon)
        }
    }

    /// Reference implementation (used for Double).
    public static func sgdUpdate(
        _ p: UnsafeMutablePointer<Self>, gradients g: UnsafePointer<Self>, momentumBuffer: UnsafeMutablePointer<Self>?, count: Int,
        lr: Self, weightDecay: Self, momentum: Self, nesterov: Bool, first: Bool
    ) {
        guard let buf = momentumBuffer else {
            for i in 0..<count { p[i] -= lr * (g[i] + weightDecay * p[i]) }
            return
        }
        for i in 0..<count {
            let grad = g[i] + weightDecay * p[i]
            buf[i] = first ? grad : momentum * buf[i] + grad
            p[i] -= lr * (nesterov ? grad + momentum * buf[i] : buf[i])
        }
    }

    /// Reference implementation (used for Double).
    public static func rmspropUpdate(
        _ p: UnsafeMutablePointer<Self>, gradients g: UnsafePointer<Self>, squares sq: UnsafeMutablePointer<Self>,
        momentumBuffer: UnsafeMutablePointer<Self>?, count: Int, lr: Self, weightDecay: Self, alpha: Self, epsilon: Self, momentum: Self
    ) {
        for i in 0..<count {
            let grad = g[i] + weightDecay * p[i]
            sq[i] = alpha * sq[i] + (1 - alpha) * grad * grad
            let scaled = grad / (sq[i].squareRoot() + epsilon)
            if let buf = momentumBuffer {
                buf[i] = momentum * buf[i] + scaled
                p[i] -= lr * buf[i]
            } else {
                p[i] -= lr * scaled
            }
        }
    }

    /// Reference implementation (used for Double), libm's exp and log.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Self>, rows: Int, columns: Int, logSumExp: UnsafeMutablePointer<Self>) {
        for r in 0..<rows {
            let row = x + r * columns
            var m = row[0]
            for j in 1..<max(columns, 1) where row[j] > m { m = row[j] }
            var sum: Self = 0
            for j in 0..<columns {
                row[j] = exp(row[j] - m)
                sum += row[j]
            }
            let inverse = 1 / sum
            for j in 0..<columns { row[j] *= inverse }
            logSumExp[r] = m + log(sum)
        }
    }

    /// Reference implementation (used for Double): no packing, BLAS on the unpacked weights.
    public static func packedCount(k: Int, n: Int) -> Int { 0 }
    public static func pack(_ w: UnsafePointer<Self>, ldw: Int, transposed: Bool, k: Int, n: Int, into packed: UnsafeMutablePointer<Self>) {}
    public static func gemmPacked(
        m: Int, n: Int, _ first: PackedTerm<Self>, plus second: PackedTerm<Self>?, bias: UnsafePointer<Self>?, accumulate: Bool,
        c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        for (index, term) in [first, second].enumerated() {
            guard let term else { continue }
            gemm(transA: false, transB: term.transposed, m: m, n: n, k: term.k, alpha: 1, a: term.a, lda: term.lda, b: term.weights,
                 ldb: term.ldw, beta: index == 0 && !accumulate ? 0 : 1, c: c, ldc: ldc)
        }
        if let bias {
            for r in 0..<m { for j in 0..<n { c[r * ldc + j] += bias[j] } }
        }
    }

    /// Reference implementation (used for Double): i f g o = σ σ tanh σ; c' = f⊙c + i⊙g; h' = o⊙tanh(c').
    public static func lstmStepForward(
        gates: UnsafeMutablePointer<Self>, cellPrev: UnsafePointer<Self>, cellNext: UnsafeMutablePointer<Self>,
        tanhCell: UnsafeMutablePointer<Self>, hiddenNext: UnsafeMutablePointer<Self>, rows: Int, hidden h: Int
    ) {
        for r in 0..<rows {
            let row = gates + r * 4 * h, cp = cellPrev + r * h, cn = cellNext + r * h
            let tc = tanhCell + r * h, hn = hiddenNext + r * h
            sigmoidInPlace(row, count: 2 * h)
            tanhInPlace(row + 2 * h, count: h)
            sigmoidInPlace(row + 3 * h, count: h)
            for j in 0..<h { cn[j] = row[h + j] * cp[j] + row[j] * row[2 * h + j] }
            tanh(cn, into: tc, count: h)
            for j in 0..<h { hn[j] = row[3 * h + j] * tc[j] }
        }
    }

    /// Reference implementation (used for Double); the derivation is in `Network+LSTM.swift`.
    public static func lstmStepBackward(
        gates: UnsafePointer<Self>, cellPrev: UnsafePointer<Self>, tanhCell: UnsafePointer<Self>,
        dOutput: UnsafePointer<Self>, dHidden: UnsafePointer<Self>, dCell: UnsafeMutablePointer<Self>,
        dGates: UnsafeMutablePointer<Self>, dBias: UnsafeMutablePointer<Self>, rows: Int, hidden h: Int
    ) {
        for r in 0..<rows {
            let row = gates + r * 4 * h, drow = dGates + r * 4 * h, o = r * h
            for j in 0..<h {
                let i = row[j], f = row[h + j], g = row[2 * h + j], og = row[3 * h + j], t = tanhCell[o + j]
                let dh = dOutput[o + j] + dHidden[o + j]
                let dc = dCell[o + j] + dh * og * (1 - t * t)
                drow[j] = dc * g * i * (1 - i)
                drow[h + j] = dc * cellPrev[o + j] * f * (1 - f)
                drow[2 * h + j] = dc * i * (1 - g * g)
                drow[3 * h + j] = dh * t * og * (1 - og)
                dCell[o + j] = dc * f
            }
            for j in 0..<(4 * h) { dBias[j] += drow[j] }
        }
    }
}

/// One term A · B of a product whose right operand B (k × n) is packed once per pass and reused, e.g. for all
/// T time steps: A is row-major (m × k, row stride lda).
public struct PackedTerm<Scalar: RNNScalar> {
    public var a: UnsafePointer<Scalar>
    public var lda: Int
    public var k: Int
    /// B packed by `RNNScalar.pack`.
    public var packed: UnsafePointer<Scalar>
    /// B unpacked, for types that do not pack: Wᵀ when `transposed` (W is n × k), else W (k × n); row stride ldw.
    public var weights: UnsafePointer<Scalar>
    public var ldw: Int
    public var transposed: Bool

    public init(a: UnsafePointer<Scalar>, lda: Int, k: Int, packed: UnsafePointer<Scalar>, weights: UnsafePointer<Scalar>, ldw: Int,
                transposed: Bool) {
        (self.a, self.lda, self.k, self.packed, self.weights, self.ldw, self.transposed) = (a, lda, k, packed, weights, ldw, transposed)
    }
}

@inline(__always)
private func transpose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: RNNScalar {
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transpose(transA), transpose(transB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
    // Vectorised C kernels (Cephes polynomials, a few ulp): glibc's scalar expf/tanhf would cost as much
    // as the recurrent products of a small LSTM.
    public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        rnn_sigmoid_f32(x, x, count)
    }
    public static func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        rnn_tanh_f32(x, x, count)
    }
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        rnn_tanh_f32(x, y, count)
    }
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, logSumExp: UnsafeMutablePointer<Float>) {
        rnn_softmax_rows_f32(x, rows, columns, logSumExp)
    }
    // The per-step recurrent products are small (batch rows × 4H); OpenBLAS re-packs the whole weight
    // matrix on every call. Packing it once per pass and reusing it for all T steps is the gain.
    public static func packedCount(k: Int, n: Int) -> Int { rnn_packed_size_f32(k, n) }
    public static func pack(_ w: UnsafePointer<Float>, ldw: Int, transposed: Bool, k: Int, n: Int, into packed: UnsafeMutablePointer<Float>) {
        rnn_pack_f32(w, ldw, transposed ? 1 : 0, k, n, packed)
    }
    public static func gemmPacked(
        m: Int, n: Int, _ first: PackedTerm<Float>, plus second: PackedTerm<Float>?, bias: UnsafePointer<Float>?, accumulate: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        rnn_gemm_packed_f32(m, n, first.k, first.a, first.lda, first.packed, second?.k ?? 0, second?.a, second?.lda ?? 0,
                             second?.packed, bias, c, ldc, accumulate ? 1 : 0)
    }
    public static func lstmStepForward(
        gates: UnsafeMutablePointer<Float>, cellPrev: UnsafePointer<Float>, cellNext: UnsafeMutablePointer<Float>,
        tanhCell: UnsafeMutablePointer<Float>, hiddenNext: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        rnn_lstm_step_forward_f32(gates, cellPrev, cellNext, tanhCell, hiddenNext, rows, hidden)
    }
    public static func lstmStepBackward(
        gates: UnsafePointer<Float>, cellPrev: UnsafePointer<Float>, tanhCell: UnsafePointer<Float>,
        dOutput: UnsafePointer<Float>, dHidden: UnsafePointer<Float>, dCell: UnsafeMutablePointer<Float>,
        dGates: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        rnn_lstm_step_backward_f32(gates, cellPrev, tanhCell, dOutput, dHidden, dCell, dGates, dBias, rows, hidden)
    }
    // The optimizers in C: the square root and the division vectorise there.
    public static func adamUpdate(
        _ p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
        count: Int, beta1: Float, beta2: Float, stepSize: Float, rootC2: Float, epsilon: Float, decay: Float, l2: Float
    ) {
        rnn_adam_f32(p, g, m, v, count, beta1, beta2, stepSize, rootC2, epsilon, decay, l2)
    }
    public static func sgdUpdate(
        _ p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, momentumBuffer: UnsafeMutablePointer<Float>?, count: Int,
        lr: Float, weightDecay: Float, momentum: Float, nesterov: Bool, first: Bool
    ) {
        rnn_sgd_f32(p, g, momentumBuffer, count, lr, weightDecay, momentum, nesterov ? 1 : 0, first ? 1 : 0)
    }
    public static func rmspropUpdate(
        _ p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, squares: UnsafeMutablePointer<Float>,
        momentumBuffer: UnsafeMutablePointer<Float>?, count: Int, lr: Float, weightDecay: Float, alpha: Float, epsilon: Float, momentum: Float
    ) {
        rnn_rmsprop_f32(p, g, squares, momentumBuffer, count, lr, weightDecay, alpha, epsilon, momentum)
    }
}

extension Double: RNNScalar {
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transpose(transA), transpose(transB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inline(__always) public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = 1 / (1 + Glibc.exp(-x[i])) }
    }
    public static func tanhInPlace(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = Glibc.tanh(x[i]) }
    }
    public static func tanh(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { y[i] = Glibc.tanh(x[i]) }
    }
}
