import Foundation
import RNNCore
@testable import RNNTraining
import Testing

@Suite struct TrainerTests {
    func textConfig(_ extra: [String: ConfigValue] = [:]) throws -> RunConfig {
        try config(["max_steps": .int(40), "hidden_size": .int(24), "embedding_size": .int(8), "layers": .int(2),
                    "dropout": .double(0.1), "batch_size": .int(8), "seq_len": .int(12), "workers": .int(2),
                    "lr": .double(0.01), "eval_every": .int(10), "checkpoint_every": .int(10), "seed": .int(5)]
                   .merging(extra) { $1 })
    }

    func train(_ c: RunConfig, directory: URL? = nil, resume: Checkpoint? = nil, stopAt: Int? = nil) throws -> (Trainer, EventLog, TrainingOutcome) {
        let data = try TextCorpus(bytes: sampleText(), name: "t.txt", config: c)
        let log = EventLog(), control = TrainingControl()
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: directory, resumeFrom: resume) { event in
            log.record(event)
            if let stopAt, case .step(let m) = event, m.step == stopAt { control.requestStop() }
        }
        return (trainer, log, try trainer.run(control: control))
    }

    @Test func sameSeedAndWorkersGiveABitIdenticalRun() throws {
        let (a, logA, _) = try train(textConfig())
        let (b, logB, _) = try train(textConfig())
        #expect(logA.losses.map(\.bitPattern) == logB.losses.map(\.bitPattern))
        #expect(a.currentParameters.map(\.bitPattern) == b.currentParameters.map(\.bitPattern))
        let (c, _, _) = try train(textConfig(["seed": .int(6)]))
        #expect(c.currentParameters != a.currentParameters)
        #expect(logA.losses.count == 40 && logA.losses.last! < logA.losses.first!, "it learns: \(logA.losses.first!) → \(logA.losses.last!)")
    }

    @Test func workerCountsDifferOnlyByRounding() throws {
        let base: [String: ConfigValue] = ["max_steps": .int(200), "eval_every": .int(0), "checkpoint_every": .int(0), "batch_size": .int(12), "lr": .double(0.003)]
        let (_, one, _) = try train(textConfig(base.merging(["workers": .int(1)]) { $1 }))
        let (_, four, _) = try train(textConfig(base.merging(["workers": .int(4)]) { $1 }))
        #expect(one.losses.count == 200 && four.losses.count == 200)
        let worst = zip(one.losses, four.losses).map { abs($0 - $1) / abs($0) }.max()!
        #expect(worst <= 1e-5, "largest relative difference of the W=1 and W=4 loss curves: \(worst)")
    }

    @Test(arguments: [1, 2])
    func resumedRunMatchesUninterruptedRun(workers: Int) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = try textConfig(["workers": .int(workers)])
        let (whole, wholeLog, _) = try train(c, directory: directory.appendingPathComponent("whole"))
        let (_, firstLog, outcome) = try train(c, directory: directory.appendingPathComponent("split"), stopAt: 17)
        guard case .stopped(let record?) = outcome else { Issue.record("expected a stop with a checkpoint, got \(outcome)"); return }
        #expect(record.step == 17, "a stop returns within one step")
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: record.path))
        let (resumed, secondLog, _) = try train(c, directory: directory.appendingPathComponent("split"), resume: checkpoint)
        let combined = firstLog.losses + secondLog.losses
        #expect(combined.map(\.bitPattern) == wholeLog.losses.map(\.bitPattern), "every loss after the resume equals the uninterrupted run's")
        #expect(resumed.currentParameters.map(\.bitPattern) == whole.currentParameters.map(\.bitPattern))
    }

    @Test func validationReportsTheDocumentedMetrics() throws {
        let (_, log, outcome) = try train(textConfig(["max_steps": .int(20)]))
        #expect(outcome == .completed(reason: "max_steps 20 reached"))
        let validations = log.all.compactMap { if case .validation(_, let m) = $0 { return m } else { return nil } }
        #expect(validations.count == 2)
        let m = validations[0]
        #expect(m["val_loss"] != nil && abs(m["val_bpc"]! - m["val_loss"]! / Foundation.log(2.0)) < 1e-12)
        #expect(m["forget_gate_l0"] != nil && m["forget_gate_l1"] != nil)
        #expect((0...1).contains(m["forget_sat_l0"]!) && (0...1).contains(m["forget_sat_l1"]!))
        // Gradient flow at lags 1, 2, 4, …: relative norms, positive and at most a few times lag 0's.
        let flow = m.keys.filter { $0.hasPrefix("grad_flow_lag_") }.compactMap { Int($0.dropFirst("grad_flow_lag_".count)) }.sorted()
        #expect(!flow.isEmpty && flow.first == 1 && zip(flow, flow.dropFirst()).allSatisfy { $1 == 2 * $0 }, "\(flow)")
        #expect(flow.allSatisfy { m["grad_flow_lag_\($0)"]!.isFinite && m["grad_flow_lag_\($0)"]! >= 0 })
    }

    @Test func checkpointFilesAreRetainedAndVerified() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (_, log, _) = try train(textConfig(["max_steps": .int(50), "keep_checkpoints": .int(2)]), directory: directory)
        let records = log.all.compactMap { if case .checkpoint(let r) = $0 { return r } else { return nil } }
        #expect(records.contains { $0.kind == .final && $0.step == 50 })
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        let best = records.last { $0.kind == .best }!
        #expect(files.contains("\(best.step).ckpt") && files.contains("50.ckpt") && files.contains("40.ckpt"))
        #expect(!files.contains("10.ckpt") || best.step == 10, "old periodic checkpoints are collected")
        // Truncated or corrupted files are refused.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: records.last!.path)))
        #expect(throws: TrainingError.self) { try Checkpoint(bytes: Array(bytes.dropLast(100)), name: "x.ckpt") }
        bytes[bytes.count / 2] ^= 0x40
        do {
            _ = try Checkpoint(bytes: bytes, name: "x.ckpt")
            Issue.record("a corrupted checkpoint must be refused")
        } catch let e as TrainingError {
            #expect(e.code == .invalidCheckpoint && e.message.contains("checksum"))
        }
    }
}

@Suite struct ClassificationTrainingTests {
    /// Sequences of 8 steps × 2 values; the class is whether the first value of step 0 is positive.
    @Test func jsonlClassifierReportsValidationAccuracy() throws {
        var rng = Xoshiro256(seed: 4)
        let lines = (0..<400).map { _ -> String in
            let steps = (0..<8).map { _ in [rng.uniform(-1, 1), rng.uniform(-1, 1)] }
            let label = steps[0][0] > 0 ? 1 : 0
            let input = "[" + steps.map { "[\($0[0]), \($0[1])]" }.joined(separator: ", ") + "]"
            return #"{"input": \#(input), "target": \#(label)}"#
        }.joined(separator: "\n")
        let c = try config(["task": .string("classification"), "seq_len": .int(8), "batch_size": .int(16), "hidden_size": .int(16),
                            "layers": .int(1), "workers": .int(2), "lr": .double(0.01), "max_steps": .int(300), "eval_every": .int(100),
                            "val_fraction": .double(0.2)])
        let data = try DatasetLoader.load(kind: .jsonl, bytes: Array(lines.utf8), name: "c.jsonl", config: c)
        let log = EventLog()
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: log.sink)
        _ = try trainer.run()
        let accuracies = log.all.compactMap { if case .validation(_, let m) = $0 { return m["val_accuracy"] } else { return nil } }
        #expect(accuracies.count == 3)
        #expect(accuracies.last! >= 0.9, "validation accuracy \(accuracies)")
    }
}

@Suite struct CRC32Tests {
    /// The standard check value of CRC-32/ISO-HDLC (zlib's), and the empty input.
    @Test func standardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }
}

@Suite struct GradientAccumulationTests {
    let csv: String = {
        var rows = ["time,temp,load"]
        for t in 0..<240 { rows.append("\(t),\(Double(t % 17) * 0.5),\(Double((t * 7) % 5) - 2)") }
        return rows.joined(separator: "\n") + "\n"
    }()

    func csvConfig(accumulate: Int) throws -> RunConfig {
        try config(["task": .string("regression"), "input_columns": .list(["temp"]), "target_columns": .list(["load"]),
                    "seq_len": .int(6), "batch_size": .int(4), "workers": .int(1), "hidden_size": .int(8), "layers": .int(1),
                    "optimizer": .string("sgd"), "lr": .double(0.1), "clip_norm": .double(0), "dropout": .double(0),
                    "val_fraction": .double(0.1), "accumulate_steps": .int(accumulate), "max_epochs": .int(1),
                    "eval_every": .int(0), "checkpoint_every": .int(0)])
    }

    /// One accumulated step over two minibatches = the mean of their gradients: with plain SGD its update is the
    /// mean of the two single-minibatch updates from the same start, and its loss the mean of their losses.
    @Test func anAccumulatedStepAveragesItsMinibatchesGradients() throws {
        let one = try csvConfig(accumulate: 1), two = try csvConfig(accumulate: 2)
        let data = try TimeSeriesCSV(bytes: Array(csv.utf8), name: "s.csv", config: one)
        let batches = [data.trainingBatch(epoch: 0, index: 0), data.trainingBatch(epoch: 0, index: 1)]
        func step(_ c: RunConfig, _ batches: [Batch<Float>]) throws -> (parameters: [Float], loss: Double) {
            let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil) { _ in }
            guard case .applied(let loss, _, _, _) = try trainer.trainStep(batches) else { throw TrainingError(.io, "step skipped") }
            return (trainer.currentParameters, loss)
        }
        let start = try Trainer(config: one, data: data, checkpointDirectory: nil) { _ in }.currentParameters
        let both = try step(two, batches), first = try step(one, [batches[0]]), second = try step(one, [batches[1]])
        #expect(abs(both.loss - (first.loss + second.loss) / 2) < 1e-6, "\(both.loss) vs \(first.loss), \(second.loss)")
        var worst: Float = 0
        for i in start.indices {
            let mean = ((first.parameters[i] - start[i]) + (second.parameters[i] - start[i])) / 2
            worst = max(worst, abs((both.parameters[i] - start[i]) - mean))
        }
        #expect(worst < 1e-6, "largest difference from the mean update: \(worst)")
        #expect(first.parameters != start && second.parameters != first.parameters, "the steps changed something")
    }

    /// An epoch takes ⌈minibatches / accumulate_steps⌉ steps (the last one takes what is left).
    @Test func anEpochTakesItsMinibatchesOverAccumulateStepsRoundedUp() throws {
        let data = try TimeSeriesCSV(bytes: Array(csv.utf8), name: "s.csv", config: try csvConfig(accumulate: 1))
        func steps(_ accumulate: Int) throws -> Int {
            let log = EventLog()
            _ = try Trainer(config: try csvConfig(accumulate: accumulate), data: data, checkpointDirectory: nil, sink: log.sink).run()
            return log.losses.count
        }
        let perEpoch = data.stepsPerEpoch
        #expect(try steps(1) == perEpoch)
        #expect(try steps(3) == (perEpoch + 2) / 3)
    }
}
