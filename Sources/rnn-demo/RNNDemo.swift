import Foundation
import RNNCore
import RNNTraining

/// The main job until the daemon exists: a short training run through the library. A character-level
/// LSTM learns a built-in text on every core (data-parallel replicas); the run is stopped half way,
/// resumed from its checkpoint, finished, and sampled.
@main
struct RNNDemo {
    static func main() throws {
        BLAS.relaunchWithFastKernelsIfNeeded()
        BLAS.setThreads(1)  // the parallelism is the replicas, not BLAS
        let config = try RunConfig([
            "cell": .string("lstm"), "layers": .int(2), "hidden_size": .int(128), "embedding_size": .int(32),
            "dropout": .double(0.1), "batch_size": .int(8), "seq_len": .int(48), "lr": .double(3e-3),
            "lr_schedule": .string("cosine"), "warmup_steps": .int(20), "max_steps": .int(600),
            "eval_every": .int(100), "checkpoint_every": .int(100), "val_fraction": .double(0.05),
        ])
        let text = Array(String(repeating: demoCorpus, count: 4).utf8)
        let data = try DatasetLoader.load(kind: .text, bytes: text, name: "demo corpus", config: config)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-demo-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        print("rnn-demo: \(text.count) bytes, \(config.workers) workers, LSTM \(config.layers)×\(config.hiddenSize), BLAS kernels \(BLAS.coreName)")

        // First half: stop after step 300, as a cancel or a shutdown would.
        let control = TrainingControl()
        let first = try Trainer(config: config, data: data, checkpointDirectory: directory) { event in
            report(event)
            if case .step(let m) = event, m.step == 300 { control.requestStop() }
        }
        guard case .stopped(let checkpoint?) = try first.run(control: control) else { fatalError("the run should have stopped") }
        print("stopped at step \(checkpoint.step); resuming from \(checkpoint.path)")

        // Second half: a new trainer continues exactly where the checkpoint left off.
        let resumed = try Trainer(config: config, data: data, checkpointDirectory: directory,
                                  resumeFrom: try Checkpoint.read(from: URL(fileURLWithPath: checkpoint.path)), sink: report)
        print(try resumed.run())

        let model = try TrainedModel(checkpoint: resumed.makeCheckpoint())
        print("sample (temperature 0.7):\n" + (try model.sample(prime: "The ", length: 300, temperature: 0.7, seed: 7)))
    }

    @Sendable static func report(_ event: TrainingEvent) {
        switch event {
        case .step(let m) where m.step % 100 == 0:
            print(String(format: "step %4d  epoch %3d  train_loss %.3f  grad_norm %.2f  lr %.5f  %.0f tokens/s",
                         m.step, m.epoch, m.trainLoss, m.gradNorm, m.lr, m.tokensPerSecond))
        case .validation(let step, let metrics):
            print(String(format: "step %4d  val_loss %.3f  val_bpc %.3f", step, metrics["val_loss"]!, metrics["val_bpc"]!))
        case .skipped(let step, let reason), .rollback(let step, _, let reason):
            print("step \(step): \(reason)")
        default:
            break
        }
    }
}
