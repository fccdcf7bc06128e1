import RNNAPI
import Foundation
import RNNCore
import RNNSupport

/// The complete configuration of a training run: one documented set of keys with defaults, validated
/// completely (type, range, consistency) before a run starts. Every failure names the key.
///
/// The keys, their defaults and ranges are `RunConfig.keys`; docs/configuration.md documents them.
public struct RunConfig: Sendable, Equatable {
    public enum Task: String, Sendable, CaseIterable { case lm, regression, classification }
    public enum OptimizerName: String, Sendable, CaseIterable { case sgd, adam, adamw, rmsprop }
    public enum ScheduleName: String, Sendable, CaseIterable { case constant, step, exponential, cosine }

    /// Every key with its value (defaults filled in): what is stored with the run and in checkpoints.
    public let values: [String: ConfigValue]

    public var task: Task { Task(rawValue: string("task"))! }
    public var cell: CellKind { CellKind(rawValue: string("cell"))! }
    public var layers: Int { int("layers") }
    public var hiddenSize: Int { int("hidden_size") }
    public var embeddingSize: Int { int("embedding_size") }
    public var dropout: Double { double("dropout") }
    public var forgetBias: Double { double("forget_bias") }
    public var seqLen: Int { int("seq_len") }
    public var batchSize: Int { int("batch_size") }
    public var workers: Int { int("workers") }
    /// Minibatches per optimizer step (gradient accumulation).
    public var accumulateSteps: Int { int("accumulate_steps") }
    /// The hosts of a multi-host run, one rank each, rank 0 first (empty: this machine only).
    public var hosts: [String] { list("hosts") }
    public var optimizer: OptimizerName { OptimizerName(rawValue: string("optimizer"))! }
    public var lr: Double { double("lr") }
    public var momentum: Double { double("momentum") }
    public var nesterov: Bool { bool("nesterov") }
    public var beta1: Double { double("beta1") }
    public var beta2: Double { double("beta2") }
    public var epsilon: Double { double("eps") }
    public var weightDecay: Double { double("weight_decay") }
    public var lrSchedule: ScheduleName { ScheduleName(rawValue: string("lr_schedule"))! }
    public var lrDecay: Double { double("lr_decay") }
    public var lrStep: Int { int("lr_step") }
    public var minLR: Double { double("min_lr") }
    public var warmupSteps: Int { int("warmup_steps") }
    public var clipNorm: Double { double("clip_norm") }
    public var maxSteps: Int { int("max_steps") }
    public var maxEpochs: Int { int("max_epochs") }
    public var maxTime: Double { double("max_time") }
    public var evalEvery: Int { int("eval_every") }
    public var checkpointEvery: Int { int("checkpoint_every") }
    public var keepCheckpoints: Int { int("keep_checkpoints") }
    public var patience: Int { int("patience") }
    public var valFraction: Double { double("val_fraction") }
    /// How the validation part is drawn (`auto` decides by the data).
    public var valSplit: ValidationSplit { ValidationSplit(rawValue: string("val_split"))! }
    public var seed: UInt64 { UInt64(int("seed")) }
    public var inputColumns: [String] { list("input_columns") }
    public var targetColumns: [String] { list("target_columns") }
    public var horizon: Int { int("horizon") }
    public var numClasses: Int { int("num_classes") }
    public var maxSkips: Int { int("max_skips") }
    public var spikeFactor: Double { double("spike_factor") }
    public var maxRollbacks: Int { int("max_rollbacks") }

    /// Parses and validates `values` (the submitted keys; the rest take their defaults).
    public init(_ submitted: [String: ConfigValue]) throws {
        for key in submitted.keys.sorted() where RunConfig.keys[key] == nil {
            let close = Suggestions.closest(to: key, in: RunConfig.keys.keys)
            throw TrainingError(.invalidConfig, "unknown configuration key \"\(key)\"" + (close.isEmpty ? "" : " (did you mean \(close.joined(separator: ", "))?)"), key: key)
        }
        var values: [String: ConfigValue] = [:]
        for (name, key) in RunConfig.keys {
            values[name] = try key.validate(submitted[name], name: name)
        }
        self.values = values
        try checkConsistency()
    }

    /// Parses a JSON object of keys and values.
    public init(json: Data) throws {
        let object: [String: ConfigValue]
        do {
            object = try JSONDecoder().decode([String: ConfigValue].self, from: json)
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            let key = context.codingPath[0].stringValue
            throw TrainingError(.invalidConfig, "configuration key \"\(key)\": \(context.debugDescription)", key: key)
        } catch {
            throw TrainingError(.invalidConfig, "the configuration is not a JSON object of keys and values")
        }
        try self.init(object)
    }

    /// This configuration with `overrides` applied (e.g. a fork with another learning rate), validated again.
    public func with(_ overrides: [String: ConfigValue]) throws -> RunConfig {
        try RunConfig(values.merging(overrides) { $1 })
    }

    /// The values as a JSON object, keys sorted.
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try! encoder.encode(values)
    }

    private func checkConsistency() throws {
        func fail(_ key: String, _ why: String) -> TrainingError { TrainingError(.invalidConfig, "\(key): \(why)", key: key) }
        if maxSteps == 0 && maxEpochs == 0 && maxTime == 0 {
            throw fail("max_steps", "set at least one limit: max_steps, max_epochs or max_time")
        }
        if workers > batchSize { throw fail("workers", "\(workers) workers need a batch_size of at least \(workers) (got \(batchSize))") }
        if dropout > 0 && layers == 1 { throw fail("dropout", "dropout applies between layers; with layers = 1 it would do nothing") }
        if lrSchedule == .cosine && maxSteps == 0 { throw fail("lr_schedule", "cosine needs max_steps to know its length") }
        // Keys of one task are refused on another (set to anything but their default), never silently ignored.
        let taskKeys: [(key: String, task: Task, isSet: Bool)] = [
            ("input_columns", .regression, !inputColumns.isEmpty), ("target_columns", .regression, !targetColumns.isEmpty),
            ("horizon", .regression, horizon != 1), ("num_classes", .classification, numClasses != 0),
        ]
        for (key, owner, isSet) in taskKeys where isSet && task != owner {
            throw fail(key, "\(key) applies to task \(owner.rawValue) (\(owner == .regression ? "CSV time series" : "sequence classification")), not to task \(task.rawValue)")
        }
        if patience > 0 && valFraction == 0 {
            throw fail("patience", "early stopping counts validations, and val_fraction 0 leaves no validation split; set val_fraction above 0 or patience to 0")
        }
        if beta1 >= 1 || beta2 >= 1 { throw fail(beta1 >= 1 ? "beta1" : "beta2", "must be below 1") }
    }

    private func int(_ key: String) -> Int { if case .int(let v) = values[key] { return v }; preconditionFailure(key) }
    private func bool(_ key: String) -> Bool { if case .bool(let v) = values[key] { return v }; preconditionFailure(key) }
    private func string(_ key: String) -> String { if case .string(let v) = values[key] { return v }; preconditionFailure(key) }
    private func list(_ key: String) -> [String] { if case .list(let v) = values[key] { return v }; preconditionFailure(key) }
    private func double(_ key: String) -> Double {
        switch values[key] {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: preconditionFailure(key)
        }
    }
}
