import RNNAPI
import Foundation
import RNNCore
import RNNTraining
import RNNSupport

/// A fixed random minibatch served as a dataset, so the benchmark times the real trainer step.
struct BenchmarkData: TrainingData {
    let config: BenchmarkConfig
    let batch: Batch<Float>
    init(config: BenchmarkConfig) {
        self.config = config
        batch = config.randomBatch(seed: 2)
    }
    var input: DataInput {
        switch config.spec.input {
        case .tokens(let v, _): .tokens(vocabularySize: v)
        case .features(let d): .features(count: d)
        }
    }
    var outputSize: Int { config.spec.outputSize }
    var loss: LossKind { config.spec.loss }
    var targets: TargetMode { config.spec.targets }
    var stepsPerEpoch: Int { 1_000_000 }
    var carriesState: Bool { false }
    var batchSize: Int { config.batchSize }
    var seqLen: Int { config.seqLen }
    var metadata: DataMetadata { DataMetadata() }
    func trainingBatch(epoch: Int, index: Int) -> Batch<Float> { batch }
    func validationBatches() -> [Batch<Float>] { [] }
}

/// Whole steps of the data-parallel trainer: W replicas, fixed-order all-reduce, clip at 5, Adam.
struct TrainerStepTimer {
    let config: BenchmarkConfig
    let workers: Int

    /// Median step time and median share of it spent in the all-reduce and the update.
    func measure(steps: Int) throws -> (stepSeconds: Double, reduceShare: Double) {
        let spec = config.spec
        var values: [String: ConfigValue] = [
            "cell": .string("lstm"), "layers": .int(spec.layers), "hidden_size": .int(spec.hiddenSize),
            "batch_size": .int(config.batchSize), "seq_len": .int(config.seqLen), "workers": .int(workers),
            "optimizer": .string("adam"), "lr": .double(2e-3), "clip_norm": .double(5), "max_steps": .int(steps + 3),
            "eval_every": .int(0), "checkpoint_every": .int(0),
        ]
        if case .tokens(_, let e) = spec.input {
            values["embedding_size"] = .int(e)
        } else {
            values["task"] = .string("regression")
            values["input_columns"] = .list(["x"])
            values["target_columns"] = .list(["y"])
        }
        let runConfig = try RunConfig(values)
        let collected = Locked<[StepMetrics]>([])
        let trainer = try Trainer(config: runConfig, data: BenchmarkData(config: config), checkpointDirectory: nil) { event in
            if case .step(let m) = event { collected.withLock { $0.append(m) } }
        }
        _ = try trainer.run()
        let timed = collected.withLock { Array($0.dropFirst(3)) }
        let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] }
        return (median(timed.map(\.stepSeconds)), median(timed.map { $0.reduceAndUpdateSeconds / $0.stepSeconds }))
    }
}
