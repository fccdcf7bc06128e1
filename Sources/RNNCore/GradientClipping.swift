/// What global-norm clipping found.
public enum ClipResult: Equatable, Sendable {
    /// The gradient is finite; `norm` is its global L2 norm before clipping; it was scaled by `scale` (1 if
    /// the norm was within the limit).
    case finite(norm: Double, scale: Double)
    /// Some gradient is NaN or infinite: nothing was scaled, and the step must not be applied.
    case nonFinite
}

public enum GradientClipping {
    /// Sum of squares of `values`, accumulated in Double (the building block of the global norm, also per
    /// shard for the all-reduce).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func sumOfSquares<Scalar: RNNScalar>(_ values: UnsafePointer<Scalar>, count: Int) -> Double {
        // Four Scalar partial sums per chunk of 1024, folded into Double: fast and accurate.
        var total = 0.0
        var i = 0
        while i < count {
            let end = min(i + 1024, count)
            var a: Scalar = 0, b: Scalar = 0, c: Scalar = 0, d: Scalar = 0
            var j = i
            while j + 4 <= end {
                a += values[j] * values[j]; b += values[j + 1] * values[j + 1]
                c += values[j + 2] * values[j + 2]; d += values[j + 3] * values[j + 3]
                j += 4
            }
            while j < end { a += values[j] * values[j]; j += 1 }
            total += Double(a) + Double(b) + Double(c) + Double(d)
            i = end
        }
        return total
    }

    /// Scales `gradients` so that their global L2 norm is at most `maxNorm` (PyTorch's clip_grad_norm_,
    /// factor maxNorm / (norm + 1e-6)); `maxNorm` ≤ 0 means no limit. A non-finite gradient is reported and
    /// left alone.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func clip<Scalar: RNNScalar>(_ gradients: UnsafeMutablePointer<Scalar>, count: Int, maxNorm: Double) -> ClipResult {
        let norm = sumOfSquares(gradients, count: count).squareRoot()
        return scale(gradients, range: 0..<count, norm: norm, maxNorm: maxNorm)
    }

    /// Applies the clip decision for a known global `norm` to one range (each worker its own chunk).
    @discardableResult
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func scale<Scalar: RNNScalar>(_ gradients: UnsafeMutablePointer<Scalar>, range: Range<Int>, norm: Double, maxNorm: Double) -> ClipResult {
        guard norm.isFinite else { return .nonFinite }
        guard maxNorm > 0, norm > maxNorm else { return .finite(norm: norm, scale: 1) }
        let factor = maxNorm / (norm + 1e-6)
        let s = Scalar(factor)
        for i in range { gradients[i] *= s }
        return .finite(norm: norm, scale: factor)
    }
}
