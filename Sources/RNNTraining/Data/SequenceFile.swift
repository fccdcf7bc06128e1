import Foundation
import RNNCore

/// Labelled sequences in JSON Lines: one example per line, `{"input": [[x…], …], "target": …}`.
///
/// Every example has the same length T and width D. The target is, for classification, a class index
/// (at the last step) or a list of T indices (one per step); for regression, a number or a list of
/// numbers (a vector at the last step) or a list of T lists (one vector per step). `val_fraction` of the
/// examples is the validation split, drawn as `val_split` says (by default at random by the seed, stratified
/// by class for classification); training examples are shuffled every epoch by a generator derived from
/// (seed, epoch).
public struct SequenceFile: TrainingData {
    let inputs: [[Float]]        // per example, [T, D] row-major
    let classTargets: [[Int32]]  // per example, [1] or [T]
    let valueTargets: [[Float]]  // per example, [O] or [T, O]
    /// The examples of each part, in file order.
    let trainIndices: [Int]
    let validationIndices: [Int]
    /// How the split was drawn and what it holds (a notice the run records).
    public let notices: [String]
    public var validationBaseline: Baseline? {
        guard !validationIndices.isEmpty else { return nil }
        let batches = validationBatches()
        if let classes { return Baseline(classPrior: trainIndices.flatMap { classTargets[$0] }, count: classes, on: batches) }
        return Baseline(mean: trainIndices.flatMap { valueTargets[$0] }, outputs: outputSize, on: batches)
    }
    public let width: Int
    public let outputSize: Int
    public let targets: TargetMode
    public let loss: LossKind
    public let batchSize: Int
    public let seqLen: Int
    let shuffle: EpochShuffle
    let classes: Int?

    /// Reads `bytes` for `config`. `forEvaluation` accepts files smaller than one training batch; with
    /// `unlabelledFor` (prediction: the model's shape), examples may leave out `target`.
    public init(bytes: [UInt8], name: String, config: RunConfig, forEvaluation: Bool = false, unlabelledFor model: ModelShape? = nil) throws {
        guard !bytes.isEmpty else { throw TrainingError(.invalidData, "\(name): the file is empty") }
        _ = try TextCorpus.decodeUTF8(bytes, name: name)
        let classification = config.task == .classification
        guard config.task != .lm else { throw TrainingError(.invalidConfig, "task: lm needs a text file, not JSON Lines", key: "task") }
        loss = classification ? .crossEntropy : .meanSquaredError
        var inputs: [[Float]] = [], classTargets: [[Int32]] = [], valueTargets: [[Float]] = []
        var shape: (t: Int, d: Int, perStep: Bool, o: Int)?
        var lineNumber = 0
        for lineBytes in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if lineBytes.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            func fail(_ why: String) -> TrainingError { TrainingError(.invalidData, "\(name): line \(lineNumber): \(why)") }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(lineBytes))) as? [String: Any] else {
                throw fail("not a JSON object")
            }
            guard let rawInput = object["input"] as? [[Any]], !rawInput.isEmpty else { throw fail("\"input\" must be a non-empty list of steps, each a list of numbers") }
            guard let target = object["target"] ?? model.map({ SequenceFile.placeholderTarget(for: $0, steps: rawInput.count) }) else {
                throw fail("\"target\" is missing")
            }
            if let extra = object.keys.first(where: { $0 != "input" && $0 != "target" }) { throw fail("unknown field \"\(extra)\"") }
            let t = rawInput.count, d = rawInput[0].count
            var x: [Float] = []
            x.reserveCapacity(t * d)
            for (step, row) in rawInput.enumerated() {
                guard row.count == d else { throw fail("step \(step) of \"input\" has \(row.count) values, step 0 has \(d) (ragged rows)") }
                for value in row { x.append(try SequenceFile.number(value, what: "input step \(step)", fail: fail)) }
            }
            var perStep = false, o = 1
            if classification {
                if let list = target as? [Any], !(target is NSNumber) {
                    guard list.count == t else { throw fail("a per-step target needs \(t) class indices, got \(list.count)") }
                    classTargets.append(try list.map { Int32(try SequenceFile.classIndex($0, fail: fail)) })
                    perStep = true
                } else {
                    classTargets.append([Int32(try SequenceFile.classIndex(target, fail: fail))])
                }
            } else {
                if let steps = target as? [[Any]] {
                    guard steps.count == t else { throw fail("a per-step target needs \(t) vectors, got \(steps.count)") }
                    o = steps[0].count
                    var y: [Float] = []
                    for (step, v) in steps.enumerated() {
                        guard v.count == o else { throw fail("target step \(step) has \(v.count) values, step 0 has \(o) (ragged rows)") }
                        for value in v { y.append(try SequenceFile.number(value, what: "target", fail: fail)) }
                    }
                    valueTargets.append(y)
                    perStep = true
                } else if let vector = target as? [Any], !(target is NSNumber) {
                    o = vector.count
                    valueTargets.append(try vector.map { try SequenceFile.number($0, what: "target", fail: fail) })
                } else {
                    valueTargets.append([try SequenceFile.number(target, what: "target", fail: fail)])
                }
            }
            if let s = shape {
                guard s.t == t, s.d == d else { throw fail("input is \(t) steps × \(d) values; earlier examples are \(s.t) × \(s.d)") }
                guard s.perStep == perStep, s.o == o else { throw fail("the target's form differs from earlier examples") }
            } else {
                shape = (t, d, perStep, o)
            }
            inputs.append(x)
        }
        guard let shape else { throw TrainingError(.invalidData, "\(name): the file has no examples") }
        self.inputs = inputs
        self.classTargets = classTargets
        self.valueTargets = valueTargets
        width = shape.d
        seqLen = shape.t
        targets = shape.perStep ? .everyStep : .lastStep
        batchSize = config.batchSize
        let perStepClasses = classification && shape.perStep
        let mode: ValidationSplit = switch config.valSplit {
        case .auto: classification && !perStepClasses ? .stratified : .random
        case .stratified where !classification || perStepClasses:
            throw TrainingError(.invalidConfig, "val_split: stratified needs one class per example (classification with a target at the last step); use random", key: "val_split")
        case let mode: mode
        }
        let labels = classification && !perStepClasses ? classTargets.map { Int($0[0]) } : nil
        (trainIndices, validationIndices) = ValidationSplit.split(mode, count: inputs.count, fraction: config.valFraction, seed: config.seed, classes: labels)
        let trainCount = trainIndices.count
        shuffle = EpochShuffle(count: trainCount, seed: config.seed)
        let how = mode == .tail ? "the tail of the file" : mode == .random ? "drawn at random (seed \(config.seed))" : "stratified by class (seed \(config.seed))"
        if let labels, !forEvaluation {
            // A class the model never trains on cannot be learned: its validation examples would only mislead.
            let trained = Set(trainIndices.map { labels[$0] })
            if let unseen = validationIndices.map({ labels[$0] }).filter({ !trained.contains($0) }).min() {
                let count = validationIndices.filter { labels[$0] == unseen }.count
                throw TrainingError(.invalidData, "\(name): class \(unseen) has \(count) example(s), all in the validation split (\(how)); it has none to train on — use val_split = stratified, or add training examples of it", key: "val_split")
            }
        }
        guard config.seqLen == shape.t else {
            throw TrainingError(.invalidConfig, "seq_len: the examples of \(name) have \(shape.t) steps; set seq_len = \(shape.t)", key: "seq_len")
        }
        if classification {
            let largest = Int(trainIndices.lazy.flatMap { classTargets[$0] }.max() ?? 0)
            let count = config.numClasses > 0 ? config.numClasses : largest + 1
            if let (i, bad) = classTargets.enumerated().lazy.compactMap({ e in e.element.first { Int($0) >= count }.map { (e.offset, $0) } }).first {
                throw TrainingError(.invalidData, "\(name): example \(i + 1) has class index \(bad), out of range for \(count) classes (num_classes)", key: "num_classes")
            }
            outputSize = count
            classes = count
        } else {
            outputSize = shape.o
            classes = nil
        }
        guard forEvaluation || trainCount >= batchSize else {
            throw TrainingError(.invalidData, "\(name): the training split has \(trainCount) examples, fewer than batch_size \(batchSize)", key: "batch_size")
        }
        var notices: [String] = []
        if !forEvaluation && !validationIndices.isEmpty {
            var notice = "validation split: \(how), \(validationIndices.count) of \(inputs.count) examples"
            if let labels {
                let train = Dictionary(grouping: trainIndices) { labels[$0] }.mapValues(\.count)
                let validation = Dictionary(grouping: validationIndices) { labels[$0] }.mapValues(\.count)
                let counts = Set(train.keys).union(validation.keys).sorted().map { "\($0): \(train[$0] ?? 0)/\(validation[$0] ?? 0)" }
                notice += "; per class (training/validation): " + counts.joined(separator: ", ")
            }
            notices.append(notice)
        }
        self.notices = notices
    }

    /// The number of steps of the longest example of a JSON Lines file (nil when no line has an `input` list):
    /// the `seq_len` a submission that leaves it out gets.
    public static func longestExample(_ bytes: [UInt8]) -> Int? {
        bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any])?["input"].flatMap { ($0 as? [Any])?.count }
        }.max()
    }

    /// A target of the form `model` predicts, for an example that has none (prediction reads no target).
    static func placeholderTarget(for model: ModelShape, steps: Int) -> Any {
        let zero = NSNumber(value: 0)
        let vector: [Any] = Array(repeating: zero, count: model.outputSize)
        switch (model.loss, model.targets) {
        case (.crossEntropy, .everyStep): return Array(repeating: zero, count: steps) as [Any]
        case (.crossEntropy, _): return zero
        case (_, .everyStep): return Array(repeating: vector, count: steps) as [[Any]]
        case (_, _): return model.outputSize == 1 ? zero as Any : vector as Any
        }
    }

    static func number(_ value: Any, what: String, fail: (String) -> TrainingError) throws -> Float {
        guard let n = value as? NSNumber, isNotBoolean(n), n.doubleValue.isFinite else {
            throw fail("\(what): \(value) is not a finite number")
        }
        return Float(n.doubleValue)
    }

    static func classIndex(_ value: Any, fail: (String) -> TrainingError) throws -> Int {
        guard let n = value as? NSNumber, isNotBoolean(n), Double(n.intValue) == n.doubleValue, n.intValue >= 0 else {
            throw fail("class index \(value) must be a non-negative integer")
        }
        return n.intValue
    }

    public var input: DataInput { .features(count: width) }
    public var carriesState: Bool { false }
    public var stepsPerEpoch: Int { trainIndices.count / batchSize }
    public var metadata: DataMetadata { DataMetadata(classes: classes) }

    /// Every example in file order, in batches of `batchSize` (evaluation of a trained model).
    func allBatches() -> [Batch<Float>] {
        stride(from: 0, to: inputs.count, by: batchSize).map { batch(Array($0..<min($0 + batchSize, inputs.count))) }
    }

    public func trainingBatch(epoch: Int, index: Int) -> Batch<Float> {
        let order = shuffle.order(epoch: epoch)  // positions in the training part
        return batch(((index * batchSize)..<((index + 1) * batchSize)).map { trainIndices[order[$0]] })
    }

    public func validationBatches() -> [Batch<Float>] {
        let indices = validationIndices
        return stride(from: 0, to: indices.count, by: batchSize).map { batch(Array(indices[$0..<min($0 + batchSize, indices.count)])) }
    }

    func batch(_ examples: [Int]) -> Batch<Float> {
        let b = examples.count, t = seqLen, d = width
        var x = [Float](repeating: 0, count: t * b * d)
        for (r, e) in examples.enumerated() {
            for s in 0..<t { for j in 0..<d { x[(s * b + r) * d + j] = inputs[e][s * d + j] } }
        }
        let target: Batch<Float>.Target
        if loss == .crossEntropy {
            if targets == .everyStep {
                target = .classes((0..<t).flatMap { s in examples.map { classTargets[$0][s] } })
            } else {
                target = .classes(examples.map { classTargets[$0][0] })
            }
        } else {
            let o = outputSize
            if targets == .everyStep {
                target = .values((0..<t).flatMap { s in examples.flatMap { Array(valueTargets[$0][(s * o)..<((s + 1) * o)]) } })
            } else {
                target = .values(examples.flatMap { valueTargets[$0] })
            }
        }
        return Batch(batchSize: b, seqLen: t, input: .features(x), target: target)
    }
}

/// JSONSerialization returns booleans as NSNumber too; a boolean is never a number here.
@inline(__always) private func isNotBoolean(_ n: NSNumber) -> Bool {
    String(cString: n.objCType) != "c"
}
