import RNNCore

/// How a dataset's validation part is drawn. Series and text are split chronologically (the tail: a model is
/// validated on what comes after what it learned); exchangeable examples (JSON Lines) are drawn at random by
/// the run's seed — stratified by class for classification, so that every class is in both parts in
/// proportion. A file sorted by class then validates on every class, not on the last one.
public enum ValidationSplit: String, Sendable, CaseIterable {
    /// Stratified for JSON Lines classification (random when targets are per step), random for JSON Lines
    /// regression, the tail for text and series.
    case auto
    /// The last `val_fraction` of the file.
    case tail
    /// A seeded shuffle, then the last `val_fraction` of it.
    case random
    /// Within each class, a seeded shuffle and `val_fraction` of the class (rounded down).
    case stratified

    /// Indices of the training and validation examples of `count` examples: each part in file order. `classes`
    /// gives each example's class (stratified splits only).
    static func split(_ mode: ValidationSplit, count: Int, fraction: Double, seed: UInt64, classes: [Int]?) -> (train: [Int], validation: [Int]) {
        var rng = Xoshiro256(seed: seed, stream: [0x5B117])
        func shuffled(_ items: [Int]) -> [Int] {
            var items = items
            for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, rng.below(i + 1)) }
            return items
        }
        let valCount = Int(Double(count) * fraction)
        var validation: [Int]
        switch mode {
        case .auto, .tail:
            validation = Array((count - valCount)..<count)
        case .random:
            validation = Array(shuffled(Array(0..<count)).suffix(valCount))
        case .stratified:
            let byClass = Dictionary(grouping: 0..<count) { classes![$0] }
            validation = []
            for label in byClass.keys.sorted() {
                let members = byClass[label]!
                validation += shuffled(members).suffix(Int(Double(members.count) * fraction))
            }
        }
        validation.sort()
        let held = Set(validation)
        return ((0..<count).filter { !held.contains($0) }, validation)
    }
}
