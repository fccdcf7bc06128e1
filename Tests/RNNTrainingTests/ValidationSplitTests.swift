import Foundation
import RNNAPI
import RNNCore
@testable import RNNTraining
import RNNSupport
import Testing

/// How the validation part of JSON Lines examples is drawn: a file sorted by class validates on every class.
@Suite struct ValidationSplitTests {
    /// Three classes of 20 examples each, stored class by class (as labelled files often are).
    static let sortedByClass: [UInt8] = Array((0..<60).map { i in
        let label = i / 20
        return #"{"input": [[\#(Double(i) / 60)], [\#(label)]], "target": \#(label)}"#
    }.joined(separator: "\n").utf8)

    func read(_ extra: [String: ConfigValue], bytes: [UInt8] = sortedByClass) throws -> SequenceFile {
        var values: [String: ConfigValue] = ["task": .string("classification"), "seq_len": .int(2), "batch_size": .int(4), "max_steps": .int(1),
                                             "val_fraction": .double(0.3)]
        values.merge(extra) { $1 }
        return try SequenceFile(bytes: bytes, name: "sorted.jsonl", config: try config(values))
    }

    func labels(_ data: SequenceFile, _ indices: [Int]) -> [Int: Int] {
        Dictionary(grouping: indices) { Int(data.classTargets[$0][0]) }.mapValues(\.count)
    }

    @Test func classificationIsStratifiedByDefaultAndSaysSo() throws {
        let data = try read([:])
        #expect(labels(data, data.validationIndices) == [0: 6, 1: 6, 2: 6], "every class in proportion")
        #expect(labels(data, data.trainIndices) == [0: 14, 1: 14, 2: 14])
        #expect(Set(data.trainIndices).isDisjoint(with: data.validationIndices) && data.trainIndices.count + data.validationIndices.count == 60)
        #expect(data.notices == ["validation split: stratified by class (seed 1), 18 of 60 examples; per class (training/validation): 0: 14/6, 1: 14/6, 2: 14/6"])
        let again = try read([:])
        #expect(again.validationIndices == data.validationIndices, "the same seed draws the same split")
        #expect(try read(["seed": .int(2)]).validationIndices != data.validationIndices, "another seed another one")
        // Training batches come from the training part only.
        let trained = Set((0..<data.stepsPerEpoch).flatMap { step -> [Float] in
            guard case .features(let x) = data.trainingBatch(epoch: 0, index: step).input else { return [] }
            return stride(from: 0, to: x.count / 2, by: 1).map { x[$0] }  // step 0 of each row: the example's own value
        })
        #expect(trained.isDisjoint(with: data.validationIndices.map { Float(Double($0) / 60) }))
    }

    @Test func aTailSplitThatHoldsAWholeClassIsRefusedNamingIt() throws {
        let error = #expect(throws: TrainingError.self) { try read(["val_split": .string("tail"), "val_fraction": .double(0.35)]) }
        #expect(error?.key == "val_split")
        #expect(error?.message == "sorted.jsonl: class 2 has 20 example(s), all in the validation split (the tail of the file); it has none to train on — use val_split = stratified, or add training examples of it",
                "\(error?.message ?? "accepted")")
        let tail = try read(["val_split": .string("tail")])
        #expect(tail.validationIndices == Array(42..<60), "the tail is still there when asked for")
    }

    @Test func randomSplitsAndRefusals() throws {
        let random = try read(["val_split": .string("random")])
        #expect(random.validationIndices.count == 18 && random.validationIndices != Array(42..<60))
        #expect(random.notices.first?.hasPrefix("validation split: drawn at random (seed 1), 18 of 60 examples; per class") == true)
        let regression = Array((0..<40).map { #"{"input": [[\#($0)]], "target": \#($0)}"# }.joined(separator: "\n").utf8)
        let stratified = #expect(throws: TrainingError.self) {
            try read(["task": .string("regression"), "seq_len": .int(1), "val_split": .string("stratified")], bytes: regression)
        }
        #expect(stratified?.key == "val_split" && stratified?.message.hasPrefix("val_split: stratified needs one class per example") == true)
        #expect(try read(["task": .string("regression"), "seq_len": .int(1)], bytes: regression).notices == ["validation split: drawn at random (seed 1), 12 of 40 examples"])
        let text = #expect(throws: TrainingError.self) {
            try DatasetLoader.load(kind: .text, bytes: Array(String(repeating: "abc ", count: 200).utf8), name: "t.txt",
                                   config: try config(["val_split": .string("random"), "seq_len": .int(4), "batch_size": .int(2), "max_steps": .int(1)]))
        }
        #expect(text?.key == "val_split" && text?.message.hasPrefix("val_split: a text is validated on its tail") == true, "\(text?.message ?? "accepted")")
    }
}

/// The trivial predictor beside every validation: what a model must beat to have learned anything.
@Suite struct BaselineTests {
    @Test func thePriorAndTheMeanOnTheValidationTargets() {
        let classes = Baseline(classPrior: [0, 0, 0, 1], count: 2,
                               on: [Batch(batchSize: 2, seqLen: 1, input: .features([0, 0]), target: .classes([0, 1]))])
        // Add-one smoothed prior [4, 2] / 6; the majority class 0 is right on one of the two targets.
        #expect(abs(classes.loss - -(log(2.0 / 3) + log(1.0 / 3)) / 2) < 1e-12 && classes.accuracy == 0.5)
        let values = Baseline(mean: [1, 10, 3, 30], outputs: 2,
                              on: [Batch(batchSize: 2, seqLen: 1, input: .features([0, 0]), target: .values([2, 20, 4, 20]))])
        // Means (2, 20); squared errors 0, 0, 4, 0.
        #expect(values.loss == 1 && values.accuracy == nil)
    }

    @Test func validationsReportTheBaselineBesideTheModel() throws {
        let c = try config(["task": .string("classification"), "seq_len": .int(2), "batch_size": .int(6), "max_steps": .int(2), "eval_every": .int(2),
                            "hidden_size": .int(4), "workers": .int(1), "val_fraction": .double(0.3)])
        let data = try SequenceFile(bytes: ValidationSplitTests.sortedByClass, name: "sorted.jsonl", config: c)
        let reported = Locked<[String: Double]>([:])
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil) { event in
            if case .validation(_, let metrics) = event { reported.withLock { $0 = metrics } }
        }
        _ = try trainer.run()
        let metrics = reported.withLock { $0 }
        // 14 training examples of each class: the prior is uniform, 6 of the 18 validation targets are class 0.
        #expect(abs(metrics[MetricName.valLossBaseline]! - log(3.0)) < 1e-12, "\(metrics)")
        #expect(abs(metrics[MetricName.valAccuracyBaseline]! - 6.0 / 18) < 1e-12)
        #expect(metrics[MetricName.valLoss] != nil && metrics[MetricName.valAccuracy] != nil)
    }
}

/// Predictions out of a trained sequence model, for examples with or without targets.
@Suite struct PredictionTests {
    func trained(_ lines: [String], _ extra: [String: ConfigValue]) throws -> TrainedModel {
        var values: [String: ConfigValue] = ["batch_size": .int(4), "max_steps": .int(30), "hidden_size": .int(6), "workers": .int(1),
                                             "val_fraction": .double(0), "seq_len": .int(2), "lr": .double(0.05)]
        values.merge(extra) { $1 }
        let c = try config(values)
        let data = try SequenceFile(bytes: Array(lines.joined(separator: "\n").utf8), name: "train.jsonl", config: c)
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil) { _ in }
        _ = try trainer.run()
        return try TrainedModel(checkpoint: trainer.makeCheckpoint())
    }

    @Test func aClassifierPredictsClassesWithTheirProbabilities() throws {
        // The class is the sign of the first value: learnable in a few steps.
        let lines = (0..<40).map { i in #"{"input": [[\#(i % 2 == 0 ? 1 : -1)], [0.5]], "target": \#(i % 2)}"# }
        let model = try trained(lines, ["task": .string("classification")])
        let unlabelled = Array(#"{"input": [[1], [0.5]]}"# .utf8) + Array("\n".utf8) + Array(#"{"input": [[-1], [0.5]], "target": 1}"#.utf8)
        let predictions = try model.predict(data: unlabelled, name: "new.jsonl", topK: 2)
        #expect(predictions.map(\.class) == [0, 1], "\(predictions)")
        for p in predictions {
            let top = try #require(p.top)
            #expect(top.count == 2 && top[0].class == p.class && top[0].probability == p.probability && top[0].probability >= top[1].probability)
            #expect(abs(top.map(\.probability).reduce(0, +) - 1) < 1e-5, "two classes: the top two hold all the probability")
        }
        #expect(throws: TrainingError.self) { try model.predict(data: Array(#"{"input": [[1, 2], [0.5, 1]]}"#.utf8), name: "wide.jsonl") }
    }

    @Test func aPerStepRegressorPredictsAVectorPerStep() throws {
        let lines = (0..<20).map { i in #"{"input": [[\#(i)], [\#(i + 1)]], "target": [[1, 2], [3, 4]]}"# }
        let model = try trained(lines, ["task": .string("regression")])
        let predictions = try model.predict(data: Array(#"{"input": [[3], [4]]}"#.utf8), name: "new.jsonl")
        #expect(predictions.count == 1 && predictions[0].steps?.count == 2 && predictions[0].steps?.allSatisfy { $0.count == 2 } == true, "\(predictions)")
        #expect(predictions[0].class == nil && predictions[0].values == nil)
    }
}
