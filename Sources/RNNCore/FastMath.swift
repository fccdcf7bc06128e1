/// Vectorised exp, sigmoid and tanh for `Float` (Cephes' single-precision polynomials, a few ulp).
///
/// glibc's scalar expf and tanhf cost about as much as the recurrent matrix products of a small LSTM step,
/// so the gate nonlinearities run sixteen lanes at a time. Everything here is plain SSE2-friendly lane
/// arithmetic: rounding uses the 1.5·2²³ trick instead of an instruction baseline x86-64 lacks.
enum FastMath {
    typealias V = SIMD16<Float>

    @inline(__always)
    static func exp(_ input: V) -> V {
        let x0 = input.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.3))
        let magic = V(repeating: 12_582_912)  // 1.5 · 2^23: adding it rounds to the nearest integer
        let shifted = x0 * V(repeating: 1.442_695_04) + magic
        let n = shifted - magic
        var x = x0 - n * V(repeating: 0.693_359_375)
        x = x + n * V(repeating: 2.121_944_40e-4)
        var p = V(repeating: 1.987_569_150_0e-4)
        p = p * x + V(repeating: 1.398_199_950_7e-3)
        p = p * x + V(repeating: 8.333_451_907_3e-3)
        p = p * x + V(repeating: 4.166_579_589_4e-2)
        p = p * x + V(repeating: 1.666_666_545_9e-1)
        p = p * x + V(repeating: 5.000_000_120_1e-1)
        let y = p * (x * x) + x + V(repeating: 1)
        // The low bits of `shifted` hold n + 0x400000; 2^n has exponent bits (n + 127) << 23.
        let bits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: V.self)
        return y * scale
    }

    @inline(__always)
    static func sigmoid(_ x: V) -> V {
        V(repeating: 1) / (V(repeating: 1) + exp(V(repeating: 0) - x))
    }

    @inline(__always)
    static func tanh(_ x: V) -> V {
        let ax = unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: V.self)
        // Large |x|: 1 - 2 / (e^{2|x|} + 1), with the sign restored.
        let e = exp(ax + ax)
        var large = V(repeating: 1) - V(repeating: 2) / (e + V(repeating: 1))
        large.replace(with: V(repeating: 0) - large, where: x .< 0)
        // Small |x| (< 0.625): odd polynomial, accurate where the formula above cancels.
        let z = x * x
        var p = V(repeating: -5.704_988_727_45e-3)
        p = p * z + V(repeating: 2.063_908_879_54e-2)
        p = p * z - V(repeating: 5.373_971_555_31e-2)
        p = p * z + V(repeating: 1.333_144_220_36e-1)
        p = p * z - V(repeating: 3.333_328_194_22e-1)
        let small = p * z * x + x
        return small.replacing(with: large, where: ax .>= 0.625)
    }

    @inline(__always)
    private static func map(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, _ f: (V) -> V
    ) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: V.self)
            i += 16
        }
        if i < count {
            var v = V(repeating: 0)
            for j in 0..<(count - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(count - i) { y[i + j] = r[j] }
        }
    }

    static func sigmoid(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        map(x, into: y, count: count, sigmoid)
    }

    static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        map(x, into: y, count: count, tanh)
    }
}
