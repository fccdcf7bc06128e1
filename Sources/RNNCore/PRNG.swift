/// SplitMix64: turns any 64-bit seed (including small or adjacent ones) into well-mixed state words.
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the seeded, portable generator behind initial weights, dropout masks and shuffles.
///
/// Only integer arithmetic, so a seed gives the same stream on every machine. Derived streams
/// (`Xoshiro256(seed:stream:)`) let each use — initialisation, each step's dropout on each shard — have its
/// own generator that depends only on (seed, purpose), never on how many numbers someone else drew.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        state = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// A generator for one purpose derived from a run seed, e.g. `stream: [step, shard]`.
    public init(seed: UInt64, stream: [UInt64]) {
        var mixer = SplitMix64(seed: seed)
        var h = mixer.next()
        for word in stream {
            var m = SplitMix64(seed: h ^ word)
            h = m.next()
        }
        self.init(seed: h)
    }

    /// Restores a generator from its four state words (a checkpoint).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) { self.state = state }

    public static func == (a: Xoshiro256, b: Xoshiro256) -> Bool {
        a.state == b.state
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Xoshiro256.rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits; exact and portable.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUnit()
    }

    /// Standard normal by Box–Muller. Uses libm's log/cos, which glibc rounds correctly on every
    /// x86-64/arm64 machine we support.
    public mutating func normal() -> Double {
        let u1 = 1 - nextUnit()  // (0, 1]
        let u2 = nextUnit()
        return (-2 * logDouble(u1)).squareRoot() * cosDouble(2 * Double.pi * u2)
    }

    /// Uniform integer in 0..<bound, without modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next(upperBound: UInt64(bound)))
    }
}
