import Foundation
import RNNAPI
import RNNCore

/// A model restored from a checkpoint, for sampling, forecasting, evaluation and export.
public struct TrainedModel: Sendable {
    public let config: RunConfig
    public let metadata: DataMetadata
    public let network: Network
    let parameters: Buffer<Float>

    public init(checkpoint: Checkpoint) throws {
        guard let shape = checkpoint.metadata.shape else {
            throw TrainingError(.invalidCheckpoint, "the checkpoint does not record its model's shape")
        }
        config = checkpoint.config
        metadata = checkpoint.metadata
        network = Network(spec: shape.networkSpec(checkpoint.config))
        guard checkpoint.parameters.count == network.parameterCount else {
            throw TrainingError(.invalidCheckpoint, "the checkpoint has \(checkpoint.parameters.count) parameters; its configuration describes \(network.parameterCount)")
        }
        parameters = Buffer(checkpoint.parameters)
    }

    /// The parameters as safetensors with PyTorch's names; metadata `rnnd.config` and, for text,
    /// `rnnd.vocab`.
    public func safetensors() -> [UInt8] {
        var meta = [Safetensors.configKey: String(decoding: config.json, as: UTF8.self)]
        if let vocabulary = metadata.vocabulary { meta[Safetensors.vocabularyKey] = Safetensors.vocabularyJSON(vocabulary) }
        if let unknown = metadata.unknownID { meta[Safetensors.unknownIDKey] = String(unknown) }
        return Safetensors.encode(network: network, parameters: UnsafeBufferPointer(parameters.buffer), metadata: meta)
    }

    // MARK: text

    func vocabularyIndex() throws -> [Unicode.Scalar: Int32] {
        guard let vocabulary = metadata.vocabulary else {
            throw TrainingError(.invalidData, "this run's model is not a text model")
        }
        return Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1.unicodeScalars.first!, Int32($0)) })
    }

    /// The ids of `text`: a character the model never trained on is the unknown-character id (a model from
    /// before it existed refuses it, naming it and its offset).
    func tokens(_ text: String, what: String) throws -> [Int32] {
        let index = try vocabularyIndex()
        return try text.unicodeScalars.enumerated().map { offset, s in
            if let id = index[s] { return id }
            guard let unknown = metadata.unknownID else {
                throw TrainingError(.invalidData, "\(what): character \(TextCorpus.describe(s)) at offset \(offset) is not in the model's vocabulary")
            }
            return Int32(unknown)
        }
    }

    /// Text continuing `prime`: characters drawn one at a time from the softmax at `temperature`
    /// (restricted to the `topK` likeliest when given), from a generator seeded with `seed`.
    public func sample(prime: String, length: Int, temperature: Double = 1, topK: Int? = nil, seed: UInt64 = 1) throws -> String {
        guard !prime.isEmpty else { throw TrainingError(.invalidData, "prime: give at least one character to start from", key: "prime") }
        guard temperature > 0, temperature.isFinite else { throw TrainingError(.invalidData, "temperature: must be above 0 (got \(temperature))", key: "temperature") }
        guard length >= 0, length <= 1_000_000 else { throw TrainingError(.invalidData, "length: must be in 0…1000000 (got \(length))", key: "length") }
        if let topK, topK < 1 { throw TrainingError(.invalidData, "top_k: must be at least 1 (got \(topK))", key: "top_k") }
        let primeTokens = try tokens(prime, what: "prime")
        let vocabulary = metadata.vocabulary!
        let ws = Workspace<Float>(spec: network.spec, batchCapacity: 1, seqCapacity: primeTokens.count)
        _ = network.forward(parameters: parameters.pointer, batch: Batch(batchSize: 1, seqLen: primeTokens.count, input: .tokens(primeTokens), target: .none), workspace: ws)
        ws.carryState()
        var rng = Xoshiro256(seed: seed, stream: [0x5A4D])
        var out = prime
        var last = Array(ws.lastOutputs.suffix(network.spec.outputSize))
        for i in 0..<length {
            let next = TrainedModel.draw(last, temperature: temperature, topK: topK, excluding: metadata.unknownID, rng: &rng)
            out += vocabulary[next]
            if i == length - 1 { break }
            _ = network.forward(parameters: parameters.pointer, batch: Batch(batchSize: 1, seqLen: 1, input: .tokens([Int32(next)]), target: .none), workspace: ws)
            ws.carryState()
            last = Array(ws.lastOutputs)
        }
        return out
    }

    /// One id drawn from `probabilities` at `temperature`, among the `topK` likeliest; never `excluding` (the
    /// unknown character, which stands for no character at all).
    static func draw(_ probabilities: [Float], temperature: Double, topK: Int?, excluding: Int? = nil, rng: inout Xoshiro256) -> Int {
        // p^(1/T) renormalised is the softmax of logits / T.
        var weights = probabilities.map { Double($0) > 0 ? Foundation.exp(Foundation.log(Double($0)) / temperature) : 0 }
        if let excluding, excluding < weights.count { weights[excluding] = 0 }
        if let topK, topK < weights.count {
            let cut = weights.sorted(by: >)[topK - 1]
            var kept = 0
            for i in weights.indices { if weights[i] >= cut && kept < topK { kept += 1 } else { weights[i] = 0 } }
        }
        var u = rng.nextUnit() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }

    /// Mean next-character cross-entropy of `text` run as one stream from a zero state, the state carried
    /// throughout.
    public func evaluate(text bytes: [UInt8], name: String) throws -> Evaluation {
        let scalars = try TextCorpus.decodeUTF8(bytes, name: name)
        let ids = try tokens(String(String.UnicodeScalarView(scalars)), what: name)
        guard ids.count >= 2 else { throw TrainingError(.invalidData, "\(name): needs at least two characters") }
        let unknown = metadata.unknownID.map { u in ids.dropFirst().filter { $0 == Int32(u) }.count }
        let t = min(config.seqLen, ids.count - 1)
        let ws = Workspace<Float>(spec: network.spec, batchCapacity: 1, seqCapacity: t)
        var loss = LossSum()
        var position = 0
        while position < ids.count - 1 {
            let n = min(t, ids.count - 1 - position)
            let batch = Batch<Float>(batchSize: 1, seqLen: n, input: .tokens(Array(ids[position..<(position + n)])),
                                     target: .classes(Array(ids[(position + 1)...(position + n)])))
            loss = loss + network.forward(parameters: parameters.pointer, batch: batch, workspace: ws)
            ws.carryState()
            position += n
        }
        // The text's own character frequencies (the unigram model), on the same targets.
        let targets = Batch<Float>(batchSize: 1, seqLen: ids.count - 1, input: .tokens(Array(ids.dropLast())), target: .classes(Array(ids.dropFirst())))
        return Evaluation(loss: loss.mean, bitsPerChar: loss.mean / Foundation.log(2), accuracy: nil, count: Int(loss.count),
                          unknownCharacters: unknown, baseline: Baseline(classPrior: Array(ids.dropFirst()), count: network.spec.outputSize, on: [targets]))
    }

    // MARK: series and sequences

    /// Mean loss (and accuracy for classification) over every window of a CSV file or every example of a
    /// JSON Lines file, with the model's normalisation.
    public func evaluate(data bytes: [UInt8], name: String, kind: DatasetKind) throws -> Evaluation {
        switch kind {
        case .text: return try evaluate(text: bytes, name: name)
        case .csv:
            guard let mean = metadata.mean, let std = metadata.std else { throw TrainingError(.invalidData, "this run's model was not trained on a CSV time series") }
            let series = try TimeSeriesCSV(bytes: bytes, name: name, config: config.with(["val_fraction": .double(0)]), normalization: (mean, std))
            return evaluate(series.allWindowBatches())
        case .jsonl:
            var overrides: [String: ConfigValue] = ["val_fraction": .double(0)]
            if let classes = metadata.classes { overrides["num_classes"] = .int(classes) }
            let file = try SequenceFile(bytes: bytes, name: name, config: config.with(overrides), forEvaluation: true)
            guard file.width == metadata.shape?.featureCount else {
                throw TrainingError(.invalidData, "\(name): examples have \(file.width) values per step; the model reads \(metadata.shape?.featureCount ?? 0)")
            }
            let batches = file.allBatches()
            var result = evaluate(batches)
            // The best constant prediction on this file (its own class frequencies, or its own mean).
            result.baseline = file.classes.map { Baseline(classPrior: file.classTargets.flatMap { $0 }, count: $0, on: batches) }
                ?? Baseline(mean: file.valueTargets.flatMap { $0 }, outputs: file.outputSize, on: batches)
            return result
        }
    }

    /// The model's prediction for every example of a JSON Lines file, in its order (`target` may be left out):
    /// for classification the likeliest class with its probability and the `topK` likeliest, or a class per
    /// step; for regression the predicted values, in the data's units.
    public func predict(data bytes: [UInt8], name: String, topK: Int = 3) throws -> [PredictionInfo] {
        guard let shape = metadata.shape, shape.featureCount != nil, metadata.mean == nil else {
            throw TrainingError(.invalidData, "predict reads JSON Lines examples, and this run's model was trained on \(metadata.vocabulary != nil ? "text (use sample)" : "a time series (use forecast)")")
        }
        guard topK >= 1 else { throw TrainingError(.invalidData, "top_k: must be at least 1 (got \(topK))", key: "top_k") }
        var overrides: [String: ConfigValue] = ["val_fraction": .double(0)]
        if let classes = metadata.classes { overrides["num_classes"] = .int(classes) }
        let file = try SequenceFile(bytes: bytes, name: name, config: config.with(overrides), forEvaluation: true, unlabelledFor: shape)
        guard file.width == shape.featureCount else {
            throw TrainingError(.invalidData, "\(name): examples have \(file.width) values per step; the model reads \(shape.featureCount ?? 0)")
        }
        let batches = file.allBatches()
        let ws = Workspace<Float>(spec: network.spec, batchCapacity: batches.map(\.batchSize).max() ?? 1, seqCapacity: config.seqLen)
        let o = network.spec.outputSize
        var predictions: [PredictionInfo] = []
        for batch in batches {
            _ = network.forward(parameters: parameters.pointer, batch: batch, workspace: ws)
            let out = ws.lastOutputs, b = batch.batchSize
            // Rows are time-major: row s·B + r is step s of example r (one step when the target is the last one).
            let steps = shape.targets == .everyStep ? batch.seqLen : 1
            for r in 0..<b {
                let rows = (0..<steps).map { s in Array(out[((s * b + r) * o)..<((s * b + r + 1) * o)]).map(Double.init) }
                if shape.loss == .crossEntropy {
                    let best = rows.map { row in row.indices.max { row[$0] < row[$1] }! }
                    if shape.targets == .everyStep {
                        predictions.append(PredictionInfo(classes: best, probabilities: zip(rows, best).map { $0[$1] }))
                    } else {
                        let ranked = rows[0].indices.sorted { rows[0][$0] > rows[0][$1] }.prefix(topK)
                        predictions.append(PredictionInfo(class: best[0], probability: rows[0][best[0]],
                                                          top: ranked.map { ClassProbability(class: $0, probability: rows[0][$0]) }))
                    }
                } else {
                    predictions.append(shape.targets == .everyStep ? PredictionInfo(steps: rows) : PredictionInfo(values: rows[0]))
                }
            }
        }
        return predictions
    }

    func evaluate(_ batches: [Batch<Float>]) -> Evaluation {
        let capacity = batches.map(\.batchSize).max() ?? 1
        let ws = Workspace<Float>(spec: network.spec, batchCapacity: capacity, seqCapacity: config.seqLen)
        var loss = LossSum(), correct = 0, total = 0
        for batch in batches {
            loss = loss + network.forward(parameters: parameters.pointer, batch: batch, workspace: ws)
            if case .classes(let targets) = batch.target {
                correct += ws.correctPredictions(targets)
                total += ws.outputRows
            }
        }
        return Evaluation(loss: loss.mean, bitsPerChar: nil, accuracy: total > 0 ? Double(correct) / Double(total) : nil, count: Int(loss.count))
    }

    /// Forecasts `steps` values of the target columns following the CSV's last `seq_len` rows, in the
    /// data's units. Beyond one step the model's predictions are fed back as inputs, which needs
    /// horizon 1 and the same input and target columns.
    public func forecast(csv bytes: [UInt8], name: String, steps: Int) throws -> [[Double]] {
        guard let mean = metadata.mean, let std = metadata.std, let inputs = metadata.inputColumns, let targets = metadata.targetColumns else {
            throw TrainingError(.invalidData, "this run's model was not trained on a CSV time series")
        }
        guard steps >= 1, steps <= 100_000 else { throw TrainingError(.invalidData, "steps: must be in 1…100000 (got \(steps))", key: "steps") }
        if steps > 1 && (config.horizon != 1 || inputs != targets) {
            throw TrainingError(.invalidData, "steps: forecasting more than one step feeds predictions back as inputs, which needs horizon 1 and input_columns equal to target_columns (this model: horizon \(config.horizon), inputs \(inputs.joined(separator: ",")), targets \(targets.joined(separator: ",")))", key: "steps")
        }
        let series = try TimeSeriesCSV(bytes: bytes, name: name, config: config.with(["val_fraction": .double(0)]), normalization: (mean, std))
        var window = series.lastWindow
        guard window.count == config.seqLen else {
            throw TrainingError(.invalidData, "\(name): has \(window.count) rows; forecasting needs the last seq_len = \(config.seqLen)")
        }
        let d = inputs.count, t = config.seqLen
        let ws = Workspace<Float>(spec: network.spec, batchCapacity: 1, seqCapacity: t)
        var out: [[Double]] = []
        for _ in 0..<steps {
            let batch = Batch<Float>(batchSize: 1, seqLen: t, input: .features(window.flatMap { $0 }), target: .none)
            _ = network.forward(parameters: parameters.pointer, batch: batch, workspace: ws)
            let predicted = Array(ws.lastOutputs)
            out.append(predicted.enumerated().map { Double($1) * std[d + $0] + mean[d + $0] })
            window.removeFirst()
            window.append(predicted)
        }
        return out
    }
}

/// What `evaluate` measured: mean loss in nats (cross-entropy) or squared units (MSE), bits per character
/// for text, accuracy for classification, over `count` targets.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    public var bitsPerChar: Double?
    public var accuracy: Double?
    public var count: Int
    /// Text: how many of the targets were the unknown character (their loss counts).
    public var unknownCharacters: Int? = nil
    /// The best constant prediction on the same targets: the data's own class (or character) frequencies, or
    /// its mean (JSON Lines and text).
    public var baseline: Baseline? = nil
}
