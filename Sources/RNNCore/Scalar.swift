import COpenBLAS
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
    public static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        FastMath.sigmoid(x, into: x, count: count)
    }
    public static func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        FastMath.tanh(x, into: x, count: count)
    }
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        FastMath.tanh(x, into: y, count: count)
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

/// The BLAS library's process-wide settings.
public enum BLAS {
    /// Sets the number of threads OpenBLAS may use inside one call. rnnd sets 1 at start-up: its
    /// parallelism is the data-parallel replicas, not BLAS's.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
