/// Learning rate as a function of the update number (0-based), with an optional linear warm-up from
/// lr/warmupSteps to lr over the first `warmupSteps` updates.
public struct LearningRateSchedule: Equatable, Sendable {
    public enum Shape: Equatable, Sendable {
        case constant
        /// lr · gamma^⌊step / every⌋
        case step(every: Int, gamma: Double)
        /// lr · gamma^step
        case exponential(gamma: Double)
        /// Cosine from lr down to `minimum` over `totalSteps` (counted after the warm-up), then `minimum`.
        case cosine(totalSteps: Int, minimum: Double)
    }

    public var base: Double
    public var shape: Shape
    public var warmupSteps: Int

    public init(base: Double, shape: Shape = .constant, warmupSteps: Int = 0) {
        precondition(base >= 0 && warmupSteps >= 0)
        self.base = base
        self.shape = shape
        self.warmupSteps = warmupSteps
    }

    public func rate(atStep step: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let s = step - warmupSteps
        switch shape {
        case .constant:
            return base
        case .step(let every, let gamma):
            return base * power(gamma, s / max(every, 1))
        case .exponential(let gamma):
            return base * expDouble(Double(s) * logDouble(gamma))
        case .cosine(let total, let minimum):
            guard s < total else { return minimum }
            let progress = Double(s) / Double(max(total, 1))
            return minimum + (base - minimum) * 0.5 * (1 + cosDouble(Double.pi * progress))
        }
    }

    private func power(_ x: Double, _ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= x }
        return result
    }
}
