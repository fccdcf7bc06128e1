import RNNAPI
import RNNCore

/// A dataset prepared for one run: it knows the network's input and output, and hands out the minibatch
/// of any step of any epoch (deterministically, so a resumed run sees the same batches).
public protocol TrainingData: Sendable {
    /// What the network reads, its output width, loss and target mode for this data.
    var input: DataInput { get }
    var outputSize: Int { get }
    var loss: LossKind { get }
    var targets: TargetMode { get }
    /// Minibatches per epoch.
    var stepsPerEpoch: Int { get }
    /// Whether consecutive steps continue the same streams (char-rnn): the trainer then carries the
    /// recurrent state across steps and resets it at each epoch.
    var carriesState: Bool { get }
    /// Batch rows and time steps of every training minibatch.
    var batchSize: Int { get }
    var seqLen: Int { get }
    /// The minibatch of step `index` (0..<stepsPerEpoch) of `epoch`.
    func trainingBatch(epoch: Int, index: Int) -> Batch<Float>
    /// The whole validation split as consecutive batches (state carried across them when `carriesState`).
    func validationBatches() -> [Batch<Float>]
    /// What must travel with the model to use it later: the vocabulary, the normalisation.
    var metadata: DataMetadata { get }
    /// What a user should know about how the data was read (how the validation split was drawn, what it
    /// holds): recorded as notices in the run's events.
    var notices: [String] { get }
    /// The trivial predictor on the validation split (nil: none is defined, or there is no validation).
    var validationBaseline: Baseline? { get }
}

/// What a dataset feeds the network.
public enum DataInput: Sendable, Equatable {
    case tokens(vocabularySize: Int)
    case features(count: Int)
}

extension TrainingData {
    public var notices: [String] { [] }
    public var validationBaseline: Baseline? { nil }

    /// The network this data and `config` call for.
    public func networkSpec(_ config: RunConfig) -> NetworkSpec { modelShape.networkSpec(config) }

    /// What the network's ends look like for this data.
    public var modelShape: ModelShape {
        switch input {
        case .tokens(let v): ModelShape(vocabularySize: v, featureCount: nil, outputSize: outputSize, loss: loss, targets: targets)
        case .features(let d): ModelShape(vocabularySize: nil, featureCount: d, outputSize: outputSize, loss: loss, targets: targets)
        }
    }

    /// The metadata stored in checkpoints: the data's own facts and the model's shape.
    public var checkpointMetadata: DataMetadata {
        var m = metadata
        m.shape = modelShape
        return m
    }
}

/// The input and output ends of a network, as the data determines them; with a `RunConfig` they give
/// the whole `NetworkSpec` (so a checkpoint can rebuild its model without the data).
public struct ModelShape: Codable, Sendable, Equatable {
    public var vocabularySize: Int?
    public var featureCount: Int?
    public var outputSize: Int
    public var loss: LossKind
    public var targets: TargetMode

    public func networkSpec(_ config: RunConfig) -> NetworkSpec {
        let inputKind: InputKind = vocabularySize.map { .tokens(vocabularySize: $0, embeddingSize: config.embeddingSize) }
            ?? .features(featureCount: featureCount ?? 1)
        return NetworkSpec(input: inputKind, cell: config.cell, hiddenSize: config.hiddenSize, layers: config.layers,
                           dropout: config.dropout, outputSize: outputSize, loss: loss, targets: targets,
                           forgetBias: config.forgetBias)
    }
}

/// Data facts stored with a run and in its checkpoints.
public struct DataMetadata: Sendable, Equatable, Codable {
    /// Text: the vocabulary, index = token id (each entry one Unicode scalar).
    public var vocabulary: [String]?
    /// Text: the id of the unknown character (one past the vocabulary), which stands for every character the
    /// training split never used; nil in models from before it existed (they refuse such characters).
    public var unknownID: Int?
    /// CSV: the input and target columns with the z-score normalisation fitted on the training split.
    public var inputColumns: [String]?
    public var targetColumns: [String]?
    public var mean: [Double]?
    public var std: [Double]?
    /// Classification: the number of classes.
    public var classes: Int?
    /// The model's ends (set in checkpoints).
    public var shape: ModelShape?

    public init(vocabulary: [String]? = nil, inputColumns: [String]? = nil, targetColumns: [String]? = nil,
                mean: [Double]? = nil, std: [Double]? = nil, classes: Int? = nil) {
        (self.vocabulary, self.inputColumns, self.targetColumns) = (vocabulary, inputColumns, targetColumns)
        (self.mean, self.std, self.classes) = (mean, std, classes)
    }
}

/// Reads a dataset of a given kind for a configuration, checking that the two fit together.
public enum DatasetLoader {
    /// The dataset read for `config`. With val_fraction above 0 the validation split must hold at least one
    /// validation batch (validation is never skipped silently); with val_fraction 0 there is no validation.
    /// `resuming`: the checkpoint a run continues from, whose data facts the data must reproduce (a text
    /// model from before the unknown-character id keeps its vocabulary without one).
    public static func load(kind: DatasetKind, bytes: [UInt8], name: String, config: RunConfig, resuming: Checkpoint? = nil) throws -> any TrainingData {
        let data = try read(kind: kind, bytes: bytes, name: name, config: config,
                            unknownCharacter: resuming.map { $0.metadata.vocabulary == nil || $0.metadata.unknownID != nil } ?? true)
        if config.valFraction > 0 && data.validationBatches().isEmpty {
            throw TrainingError(.invalidData, "\(name): val_fraction \(config.valFraction) leaves no complete validation sequence in this file; raise val_fraction (or lower seq_len), or set it to 0 to train without validation", key: "val_fraction")
        }
        return data
    }

    static func read(kind: DatasetKind, bytes: [UInt8], name: String, config: RunConfig, unknownCharacter: Bool) throws -> any TrainingData {
        if kind != .jsonl, config.valSplit == .random || config.valSplit == .stratified {
            throw TrainingError(.invalidConfig, "val_split: \(kind == .text ? "a text" : "a time series") is validated on its tail (what follows what the model learned); \(config.valSplit.rawValue) splits are for JSON Lines examples", key: "val_split")
        }
        switch (kind, config.task) {
        case (.text, .lm): return try TextCorpus(bytes: bytes, name: name, config: config, unknownCharacter: unknownCharacter)
        case (.csv, .regression): return try TimeSeriesCSV(bytes: bytes, name: name, config: config)
        case (.jsonl, .regression), (.jsonl, .classification): return try SequenceFile(bytes: bytes, name: name, config: config)
        case (.text, _):
            throw TrainingError(.invalidConfig, "task: a text file trains task lm, not \(config.task.rawValue)", key: "task")
        case (.csv, _):
            throw TrainingError(.invalidConfig, "task: a CSV time series trains task regression, not \(config.task.rawValue)", key: "task")
        case (.jsonl, .lm):
            throw TrainingError(.invalidConfig, "task: JSON Lines sequences train regression or classification, not lm", key: "task")
        }
    }
}
