import Foundation
import RNNCore
@testable import RNNTraining
import Testing

/// A time series whose batches at the given global steps carry a NaN: the loss and gradient of those
/// steps are non-finite.
struct PoisonedSeries: TrainingData {
    let base: TimeSeriesCSV
    let poisoned: Set<Int>
    /// Instead of a NaN input, multiply the poisoned batches' targets by this (a loss spike).
    var targetScale: Float? = nil
    var input: DataInput { base.input }
    var outputSize: Int { base.outputSize }
    var loss: LossKind { base.loss }
    var targets: TargetMode { base.targets }
    var stepsPerEpoch: Int { base.stepsPerEpoch }
    var carriesState: Bool { false }
    var batchSize: Int { base.batchSize }
    var seqLen: Int { base.seqLen }
    var metadata: DataMetadata { base.metadata }
    func validationBatches() -> [Batch<Float>] { base.validationBatches() }
    func trainingBatch(epoch: Int, index: Int) -> Batch<Float> {
        var batch = base.trainingBatch(epoch: epoch, index: index)
        guard poisoned.contains(epoch * stepsPerEpoch + index) else { return batch }
        if let targetScale, case .values(let y) = batch.target {
            batch.target = .values(y.map { $0 * targetScale })
        } else if case .features(var x) = batch.input {
            x[0] = .nan
            batch.input = .features(x)
        }
        return batch
    }
}

@Suite struct DivergenceTests {
    func series(_ extra: [String: ConfigValue], poisoned: Set<Int>) throws -> (RunConfig, PoisonedSeries) {
        let csv = "x,y\n" + (0..<400).map { "\(sin(Double($0) * 0.3)),\(cos(Double($0) * 0.3))" }.joined(separator: "\n")
        let c = try config(["task": .string("regression"), "input_columns": .list(["x"]), "target_columns": .list(["y"]),
                            "max_steps": .int(30), "batch_size": .int(8), "seq_len": .int(10), "hidden_size": .int(8),
                            "layers": .int(1), "workers": .int(2), "checkpoint_every": .int(5), "eval_every": .int(0)]
                           .merging(extra) { $1 })
        return (c, PoisonedSeries(base: try TimeSeriesCSV(bytes: Array(csv.utf8), name: "s.csv", config: c), poisoned: poisoned))
    }

    @Test func nonFiniteStepsAreSkippedThenRolledBack() throws {
        let (c, data) = try series(["max_skips": .int(2)], poisoned: [7, 8, 12])
        let log = EventLog()
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: log.sink)
        let outcome = try trainer.run()
        #expect(outcome == .completed(reason: "max_steps 30 reached"))
        let skipped = log.all.compactMap { if case .skipped(let s, _) = $0 { return s } else { return nil } }
        #expect(skipped == [8, 9, 13], "steps are 1-based: batches 7, 8 and 12 are steps 8, 9 and 13")
        let rollbacks = log.all.compactMap { if case .rollback(let s, let to, _) = $0 { return (s, to) } else { return nil } }
        #expect(rollbacks.count == 1 && rollbacks[0].0 == 9 && rollbacks[0].1 == 5, "two consecutive skips roll back to the checkpoint of step 5: \(rollbacks)")
        #expect(trainer.state.skippedSteps == 3 && trainer.state.rollbacks == 1)
        #expect(trainer.currentParameters.allSatisfy { $0.isFinite })
    }

    @Test func aLossSpikeRollsBack() throws {
        var (c, data) = try series(["spike_factor": .double(20), "max_steps": .int(25)], poisoned: [20])
        data.targetScale = 1000
        let log = EventLog()
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: log.sink)
        _ = try trainer.run()
        let rollbacks = log.all.compactMap { if case .rollback(let s, let to, let why) = $0 { return (s, to, why) } else { return nil } }
        #expect(rollbacks.count == 1 && rollbacks[0].0 == 21 && rollbacks[0].1 == 20, "\(rollbacks.map { ($0.0, $0.1) })")
        #expect(rollbacks.first?.2.contains("spike_factor") == true)
    }

    @Test func repeatedRollbacksFailTheRunNamingTheStepAndRemedy() throws {
        let (c, data) = try series(["max_skips": .int(1), "max_rollbacks": .int(2)], poisoned: [3, 4, 5, 6])
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: { _ in })
        do {
            _ = try trainer.run()
            Issue.record("the run should fail")
        } catch let e as TrainingError {
            #expect(e.code == .diverged)
            #expect(e.message.contains("step 6") && e.message.contains("lower lr"), "\(e.message)")
        }
    }

    @Test func aSkippedStepChangesNothing() throws {
        let (c, data) = try series(["max_steps": .int(4), "max_skips": .int(5)], poisoned: [3])
        let (c3, data3) = try series(["max_steps": .int(3), "max_skips": .int(5)], poisoned: [])
        let skipped = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: { _ in })
        _ = try skipped.run()
        let clean = try Trainer(config: c3, data: data3, checkpointDirectory: nil, sink: { _ in })
        _ = try clean.run()
        #expect(skipped.currentParameters == clean.currentParameters, "the parameters after a skipped 4th step equal those after 3 steps")
    }
}
