import Foundation

/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning",
/// MLSys 2020). Trials train to the rung budgets min_steps·η^k (the last rung at max_steps); whenever a slot is
/// free, the highest rung that has a trial in the top 1/η of the results at its rung not yet promoted promotes
/// that trial, else a new trial starts at rung 0. A trial that is never promoted stops where it is.
public struct ASHA: Sendable, Equatable, Codable {
    public let minSteps: Int
    public let eta: Int
    public let maxSteps: Int

    public init(minSteps: Int, eta: Int, maxSteps: Int) throws {
        guard minSteps >= 1 else { throw SweepError("asha: min_steps must be at least 1, got \(minSteps)") }
        guard eta >= 2 else { throw SweepError("asha: the reduction factor eta must be at least 2, got \(eta)") }
        guard maxSteps > minSteps else { throw SweepError("asha: max_steps (\(maxSteps)) must be above min_steps (\(minSteps))") }
        self.minSteps = minSteps
        self.eta = eta
        self.maxSteps = maxSteps
    }

    /// The step budget of each rung: min_steps, min_steps·η, …, then max_steps.
    public var budgets: [Int] {
        var out: [Int] = []
        var b = minSteps
        while b < maxSteps {
            out.append(b)
            b *= eta
        }
        return out + [maxSteps]
    }

    /// One trial's result at a rung, in the order results arrived.
    public struct Result: Sendable, Equatable {
        public var trial: Int
        public var value: Double
        public init(trial: Int, value: Double) {
            self.trial = trial
            self.value = value
        }
    }

    /// A promotion: `trial`, which finished rung `rung`, continues to rung + 1; with the numbers it was made on.
    public struct Promotion: Sendable, Equatable {
        public var trial: Int
        public var rung: Int
        public var value: Double
        /// 1-based rank of the trial's value among the `of` results at its rung, of which the top `top` qualify.
        public var rank: Int
        public var of: Int
        public var top: Int
    }

    /// The promotion to make now, if any: `results[k]` are the results at rung k (arrival order), `promoted[k]`
    /// the trials already promoted from rung k. Ties go to the earlier result. `lowerIsBetter` for losses.
    public func promotion(results: [[Result]], promoted: [Set<Int>], lowerIsBetter: Bool) -> Promotion? {
        let top = budgets.count - 1
        for k in stride(from: min(top, results.count) - 1, through: 0, by: -1) {
            let rung = results[k]
            let qualifying = rung.count / eta
            guard qualifying > 0 else { continue }
            // Stable: among equal values the earlier arrival ranks first.
            // A diverged trial (NaN) ranks last.
            func key(_ v: Double) -> Double { v.isNaN ? (lowerIsBetter ? .infinity : -.infinity) : v }
            let ranked = rung.enumerated().sorted { a, b in
                let (x, y) = (key(a.element.value), key(b.element.value))
                if x != y { return lowerIsBetter ? x < y : x > y }
                return a.offset < b.offset
            }.map(\.element)
            let done = k < promoted.count ? promoted[k] : []
            if let (index, result) = ranked.prefix(qualifying).enumerated().first(where: { !done.contains($0.element.trial) }) {
                return Promotion(trial: result.trial, rung: k, value: result.value, rank: index + 1, of: rung.count, top: qualifying)
            }
        }
        return nil
    }
}
