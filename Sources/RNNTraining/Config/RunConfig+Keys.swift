import Foundation
import RNNCore

extension RunConfig {
    /// One configuration key: its type, default, accepted range and role.
    public struct Key: Sendable {
        public enum Kind: Sendable { case int(ClosedRange<Int>), double(ClosedRange<Double>, openLower: Bool, openUpper: Bool), choice([String]), bool, list }
        /// What changing the key changes, which decides where it may change.
        public enum Role: Sendable {
            /// The model's parameters, the optimizer's state, the carried state or the data split: a fork, which
            /// continues from a checkpoint, may not change it.
            case shape
            /// What a run reads or the memory it needs, not the model: a fork may change it; a sweep trial that
            /// differs in it is checked against the data again.
            case data
            /// Neither: only how training proceeds. A sweep trial differing only in these needs no second data check.
            case training
        }
        public let kind: Kind
        public let role: Role
        public let defaultValue: ConfigValue
        public let help: String

        func validate(_ value: ConfigValue?, name: String) throws -> ConfigValue {
            guard let value else { return defaultValue }
            func fail(_ why: String) -> TrainingError { TrainingError(.invalidConfig, "\(name): \(why)", key: name) }
            switch (kind, value) {
            case (.int(let range), .int(let v)):
                guard range.contains(v) else { throw fail("\(v) is out of range \(range.lowerBound)…\(range.upperBound)") }
                return value
            case (.int, _):
                throw fail("expected an integer, got \(value)")
            case (.double, .int(let i)):
                // An integer given for a decimal key is stored as a decimal.
                return try validate(.double(Double(i)), name: name)
            case (.double(let range, let openLower, let openUpper), .double(let v)):
                guard v.isFinite, range.contains(v), !(openLower && v == range.lowerBound), !(openUpper && v == range.upperBound) else {
                    throw fail("\(v) is out of range \(openLower ? "(" : "[")\(range.lowerBound), \(range.upperBound)\(openUpper ? ")" : "]")")
                }
                return value
            case (.double, _):
                throw fail("expected a number, got \(value)")
            case (.choice(let options), .string(let v)):
                guard options.contains(v) else { throw fail("\"\(v)\" is not one of \(options.joined(separator: ", "))") }
                return value
            case (.choice(let options), _):
                throw fail("expected one of \(options.joined(separator: ", ")), got \(value)")
            case (.bool, .bool):
                return value
            case (.bool, _):
                throw fail("expected true or false, got \(value)")
            case (.list, .list(let items)):
                guard items.allSatisfy({ !$0.isEmpty }) else { throw fail("list items must not be empty") }
                return value
            case (.list, .string(let s)):
                return try validate(.list(s.split(separator: ",", omittingEmptySubsequences: false).map(String.init)), name: name)
            case (.list, _):
                throw fail("expected a list of names, got \(value)")
            }
        }
    }

    /// Every key rnnd accepts, with its default and range.
    public static let keys: [String: Key] = {
        func int(_ role: Key.Role, _ d: Int, _ r: ClosedRange<Int>, _ help: String) -> Key { Key(kind: .int(r), role: role, defaultValue: .int(d), help: help) }
        func num(_ role: Key.Role, _ d: Double, _ r: ClosedRange<Double>, openLower: Bool = false, openUpper: Bool = false, _ help: String) -> Key {
            Key(kind: .double(r, openLower: openLower, openUpper: openUpper), role: role, defaultValue: .double(d), help: help)
        }
        func choice(_ role: Key.Role, _ d: String, _ options: [String], _ help: String) -> Key { Key(kind: .choice(options), role: role, defaultValue: .string(d), help: help) }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return [
            "task": choice(.shape, "lm", Task.allCases.map(\.rawValue), "lm (text, next character), regression or classification"),
            "cell": choice(.shape, CellKind.lstm.rawValue, CellKind.allCases.map(\.rawValue), "recurrent cell"),
            "layers": int(.shape, 2, 1...16, "stacked recurrent layers"),
            "hidden_size": int(.shape, 256, 1...8192, "units per layer"),
            "embedding_size": int(.shape, 64, 1...4096, "embedding width (task lm)"),
            "dropout": num(.data, 0, 0...1, openUpper: true, "inverted dropout between layers"),
            "forget_bias": num(.training, 1, -20...20, "initial LSTM forget-gate bias"),
            "seq_len": int(.shape, 64, 1...100_000, "time steps per chunk (truncated BPTT length) or window length"),
            "batch_size": int(.shape, 32, 1...65_536, "sequences per minibatch, split across the workers"),
            "workers": int(.data, cores, 1...256, "data-parallel replicas per host (default: the number of cores)"),
            "accumulate_steps": int(.data, 1, 1...1024, "minibatches whose gradients are summed before each update (and each exchange between hosts)"),
            "hosts": Key(kind: .list, role: .data, defaultValue: .list([]), help: "hosts of a multi-host run, rnnd's own first (empty: this machine only)"),
            "optimizer": choice(.shape, "adam", OptimizerName.allCases.map(\.rawValue), "update rule"),
            "lr": num(.training, 2e-3, 0...10, openLower: true, "base learning rate"),
            "momentum": num(.training, 0, 0...1, openUpper: true, "SGD or RMSprop momentum"),
            "nesterov": Key(kind: .bool, role: .training, defaultValue: .bool(false), help: "Nesterov momentum (sgd)"),
            "beta1": num(.training, 0.9, 0...1, openUpper: true, "Adam β1"),
            "beta2": num(.training, 0.999, 0...1, openUpper: true, "Adam β2"),
            "eps": num(.training, 1e-8, 0...1, openLower: true, "Adam / RMSprop ε"),
            "weight_decay": num(.training, 0, 0...1, "L2 (sgd, adam, rmsprop) or decoupled (adamw) weight decay"),
            "lr_schedule": choice(.training, "constant", ScheduleName.allCases.map(\.rawValue), "learning-rate schedule after the warm-up"),
            "lr_decay": num(.training, 0.5, 0...1, openLower: true, "γ of the step and exponential schedules"),
            "lr_step": int(.training, 1000, 1...100_000_000, "steps between decays of the step schedule"),
            "min_lr": num(.training, 0, 0...10, "floor of the cosine schedule"),
            "warmup_steps": int(.training, 0, 0...100_000_000, "linear warm-up steps"),
            "clip_norm": num(.training, 5, 0...1e6, "global gradient-norm limit (0 = no clipping)"),
            "max_steps": int(.training, 0, 0...1_000_000_000, "stop after this many steps (0 = no limit)"),
            "max_epochs": int(.training, 0, 0...1_000_000, "stop after this many epochs (0 = no limit)"),
            "max_time": num(.training, 0, 0...1e8, "stop after this many seconds of training (0 = no limit)"),
            "eval_every": int(.training, 200, 0...1_000_000_000, "steps between validations (0 = only at the end)"),
            "checkpoint_every": int(.training, 500, 0...1_000_000_000, "steps between checkpoints (0 = only at the end)"),
            "keep_checkpoints": int(.training, 3, 1...1000, "periodic checkpoints kept besides the best"),
            "patience": int(.training, 0, 0...1_000_000, "validations without improvement before stopping early (0 = off)"),
            "val_fraction": num(.shape, 0.1, 0...0.9, "fraction of the data held out for validation"),
            "val_split": choice(.shape, "auto", ValidationSplit.allCases.map(\.rawValue),
                                "how the validation part is drawn: auto = stratified by class for JSON Lines classification, random for JSON Lines regression, the tail for text and series"),
            "seed": int(.training, 1, 0...Int.max, "seed of every random choice of the run"),
            "input_columns": Key(kind: .list, role: .shape, defaultValue: .list([]), help: "CSV columns fed to the network"),
            "target_columns": Key(kind: .list, role: .shape, defaultValue: .list([]), help: "CSV columns predicted"),
            "horizon": int(.shape, 1, 1...1_000_000, "CSV: steps ahead of the window's last row that are predicted"),
            "num_classes": int(.shape, 0, 0...1_000_000, "classification: number of classes (0 = largest index in the training data + 1)"),
            "max_skips": int(.training, 5, 1...1000, "consecutive non-finite steps before rolling back to the last checkpoint"),
            "spike_factor": num(.training, 0, 0...1e6, "roll back when the loss exceeds this factor × the recent median (0 = off)"),
            "max_rollbacks": int(.training, 3, 0...1000, "rollbacks before the run fails"),
        ]
    }()

    /// Keys a fork may not change: they shape the parameters, the optimizer state or the carried state.
    public static let shapeKeys = Set(keys.filter { $0.value.role == .shape }.keys)

    /// Keys that change neither the data a run reads nor its memory.
    public static let trainingOnlyKeys = Set(keys.filter { $0.value.role == .training }.keys)
}
