import RNNAPI

/// What the trainer reports, in order, through its sink. Metric names are stable: see `MetricName`.
public enum TrainingEvent: Sendable, Equatable, Codable {
    /// One applied (or skipped) training step.
    case step(StepMetrics)
    /// A validation over the whole validation split.
    case validation(step: Int, metrics: [String: Double])
    /// A checkpoint file was written (atomically) and can be recorded.
    case checkpoint(CheckpointRecord)
    /// A non-finite loss or gradient: the step changed nothing.
    case skipped(step: Int, reason: String)
    /// Parameters and optimizer state were restored from the checkpoint of `toStep`; training goes on past
    /// the offending batches.
    case rollback(step: Int, toStep: Int, reason: String)
}

/// The per-step metrics.
public struct StepMetrics: Sendable, Equatable, Codable {
    public var step: Int
    public var epoch: Int
    public var trainLoss: Double
    public var gradNorm: Double
    public var lr: Double
    public var tokensPerSecond: Double
    /// Seconds of training since the run began (across resumptions).
    public var wallTime: Double
    /// This step's duration, and the part spent in the all-reduce and the optimizer update.
    public var stepSeconds: Double
    public var reduceAndUpdateSeconds: Double
    /// The part spent exchanging gradients with other hosts (0 on one machine).
    public var communicationSeconds: Double = 0

    /// The metrics under their stable names; a multi-host run's steps add their time and its communication share.
    public var named: [String: Double] {
        var out = [MetricName.trainLoss: trainLoss, MetricName.gradNorm: gradNorm, MetricName.lr: lr,
                   MetricName.tokensPerSecond: tokensPerSecond, MetricName.epoch: Double(epoch), MetricName.wallTime: wallTime]
        if communicationSeconds > 0 {
            out[MetricName.stepSeconds] = stepSeconds
            out[MetricName.communicationSeconds] = communicationSeconds
        }
        return out
    }
}

/// The documented metric names.
public enum MetricName {
    public static let trainLoss = "train_loss"
    public static let gradNorm = "grad_norm"
    public static let lr = "lr"
    /// Tokens (text) or examples (CSV, JSON Lines) per second.
    public static let tokensPerSecond = "tokens_per_s"
    public static let epoch = "epoch"
    public static let wallTime = "wall_time"
    /// Multi-host runs: a step's seconds, and the part spent exchanging gradients between hosts.
    public static let stepSeconds = "step_seconds"
    public static let communicationSeconds = "comm_seconds"
    public static let valLoss = "val_loss"
    /// Validation bits per character (text).
    public static let valBPC = "val_bpc"
    /// Validation accuracy (classification).
    public static let valAccuracy = "val_accuracy"
    /// The trivial baseline on the same validation targets, for comparison: the class prior (classification,
    /// and the character frequencies of text) or the mean (regression) of the training split, and its
    /// majority class's accuracy. A model that does not beat these learned nothing.
    public static let valLossBaseline = "val_loss_baseline"
    public static let valAccuracyBaseline = "val_accuracy_baseline"
    /// Mean forget-gate activation of LSTM layer l over the validation split.
    public static func forgetGate(layer: Int) -> String { "forget_gate_l\(layer)" }
    /// The fraction of LSTM layer l's forget-gate activations below 0.1 or above 0.9 (validation split).
    public static func forgetGateSaturation(layer: Int) -> String { "forget_sat_l\(layer)" }
    /// Gradient flow at each validation: the norm of the last step's loss gradient w.r.t. the top layer's
    /// h_t at lags lag…2·lag−1 (mean), relative to lag 0, for lag = 1, 2, 4, … below the sequence length.
    public static func gradientFlow(lag: Int) -> String { "grad_flow_lag_\(lag)" }
    public static let gradientFlowPrefix = "grad_flow_lag_"

    /// Whether `name` is one of the names above (for any layer or lag).
    public static func isDocumented(_ name: String) -> Bool {
        for prefix in ["forget_gate_l", "forget_sat_l", gradientFlowPrefix] where name.hasPrefix(prefix) {
            if Int(name.dropFirst(prefix.count)) != nil { return true }
        }
        return [trainLoss, gradNorm, lr, tokensPerSecond, epoch, wallTime, valLoss, valBPC, valAccuracy, valLossBaseline,
                valAccuracyBaseline, stepSeconds, communicationSeconds].contains(name)
    }
}

/// A checkpoint file the trainer wrote.
public struct CheckpointRecord: Sendable, Equatable, Codable {
    public typealias Kind = CheckpointKind
    public var step: Int
    public var path: String
    public var size: Int
    /// CRC-32 of the file's content before its trailing checksum (the file verifies itself).
    public var checksum: UInt32
    public var valLoss: Double?
    public var kind: Kind
}

/// How a call to `Trainer.run` ended.
public enum TrainingOutcome: Sendable, Equatable, Codable {
    /// A limit was reached (steps, epochs, time) or early stopping triggered.
    case completed(reason: String)
    /// A stop (cancel, pause, shutdown) was requested; a checkpoint to resume from was written.
    case stopped(checkpoint: CheckpointRecord?)
}
