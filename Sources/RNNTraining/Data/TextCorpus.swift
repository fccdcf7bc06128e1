import Foundation
import RNNCore

/// A UTF-8 text for a character-level language model (char-rnn batching).
///
/// The vocabulary is the set of Unicode scalars of the training split (sorted by code point), plus one
/// unknown-character id after them: a character of the validation split the training split never uses reads
/// as that id (its loss counts; a notice says how many there were), as any such character of text a model
/// later evaluates or is primed with. Sampling never emits it. The training
/// split is cut into B contiguous streams; step k of an epoch reads characters [k·T, k·T + T] of every
/// stream (T inputs, T next-character targets), so the recurrent state carries from one step to the next
/// and is reset at each epoch. The validation split is the tail `val_fraction` of the text, read the same
/// way with as many streams as it allows (at most B).
public struct TextCorpus: TrainingData {
    public let vocabulary: [Unicode.Scalar]
    /// The unknown character's id, one past the vocabulary (nil: a corpus read for a model from before it
    /// existed, which refuses validation characters the training split never uses).
    public let unknownID: Int32?
    let train: [Int32]
    public let notices: [String]
    let validation: [Int32]
    public let batchSize: Int
    public let seqLen: Int

    /// Reads `bytes` (the file's content; `name` is used in messages) for `config`; `unknownCharacter` false
    /// reads it as models from before the unknown-character id did (to resume one of their checkpoints).
    public init(bytes: [UInt8], name: String, config: RunConfig, unknownCharacter: Bool = true) throws {
        guard !bytes.isEmpty else { throw TrainingError(.invalidData, "\(name): the file is empty") }
        let scalars = try TextCorpus.decodeUTF8(bytes, name: name)
        let valCount = Int(Double(scalars.count) * config.valFraction)
        let trainScalars = scalars[..<(scalars.count - valCount)]
        let vocabulary = Set(trainScalars).sorted { $0.value < $1.value }
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
        self.vocabulary = vocabulary
        train = trainScalars.map { index[$0]! }
        let unknown = Int32(vocabulary.count)
        unknownID = unknownCharacter ? unknown : nil
        var unseen: [Unicode.Scalar: Int] = [:]
        validation = try scalars[(scalars.count - valCount)...].enumerated().map { offset, s in
            if let id = index[s] { return id }
            guard unknownCharacter else {
                throw TrainingError(.invalidData, "\(name): the validation split (character \(scalars.count - valCount + offset)) contains \(TextCorpus.describe(s)), which the training split never uses; lower val_fraction or use a text whose tail shares the training vocabulary", key: "val_fraction")
            }
            unseen[s, default: 0] += 1
            return unknown
        }
        if unseen.isEmpty {
            notices = []
        } else {
            let listed = unseen.keys.sorted { $0.value < $1.value }
            let shown = listed.prefix(10).map { "\(TextCorpus.describe($0)) ×\(unseen[$0]!)" }.joined(separator: ", ") + (listed.count > 10 ? ", …" : "")
            notices = ["the validation split has \(unseen.values.reduce(0, +)) character(s) the training split never uses (\(listed.count) distinct: \(shown)); they read as the unknown-character id, and their loss counts"]
        }
        batchSize = config.batchSize
        seqLen = config.seqLen
        let needed = batchSize * (seqLen + 1)
        guard train.count >= needed else {
            throw TrainingError(.invalidData, "\(name): the training split has \(train.count) characters; batch_size \(batchSize) × (seq_len \(seqLen) + 1) needs at least \(needed)", key: "seq_len")
        }
        if valCount > 0 && validation.count < seqLen + 1 {
            throw TrainingError(.invalidData, "\(name): the validation split has \(validation.count) characters, fewer than seq_len + 1 = \(seqLen + 1); raise val_fraction or lower seq_len", key: "val_fraction")
        }
    }

    /// The Unicode scalars of UTF-8 `bytes`; invalid UTF-8 is an error naming the byte offset.
    static func decodeUTF8(_ bytes: [UInt8], name: String) throws -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(bytes.count)
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        var consumed = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s)
                consumed += UTF8.width(s)
            case .emptyInput:
                break loop
            case .error:
                offset = consumed
                throw TrainingError(.invalidData, "\(name): invalid UTF-8 at byte offset \(offset)")
            }
        }
        return scalars
    }

    static func describe(_ s: Unicode.Scalar) -> String {
        s.properties.isWhitespace || s.value < 32 ? String(format: "U+%04X", s.value) : "\"\(Character(s))\" (U+\(String(s.value, radix: 16, uppercase: true)))"
    }

    /// The training split's character frequencies (the unigram model) on the validation targets.
    public var validationBaseline: Baseline? {
        validation.isEmpty ? nil : Baseline(classPrior: Array(train.dropFirst()), count: outputSize, on: validationBatches())
    }

    public var input: DataInput { .tokens(vocabularySize: outputSize) }
    public var outputSize: Int { vocabulary.count + (unknownID == nil ? 0 : 1) }
    public var loss: LossKind { .crossEntropy }
    public var targets: TargetMode { .everyStep }
    public var carriesState: Bool { true }
    public var stepsPerEpoch: Int { (train.count / batchSize - 1) / seqLen }
    public var metadata: DataMetadata {
        var m = DataMetadata(vocabulary: vocabulary.map { String(Character($0)) })
        m.unknownID = unknownID.map(Int.init)
        return m
    }

    public func trainingBatch(epoch: Int, index: Int) -> Batch<Float> {
        TextCorpus.streamBatch(train, streams: batchSize, seqLen: seqLen, chunk: index)
    }

    public func validationBatches() -> [Batch<Float>] {
        guard validation.count > seqLen else { return [] }
        let streams = min(batchSize, (validation.count - 1) / seqLen)
        let chunks = (validation.count / streams - 1) / seqLen
        return (0..<chunks).map { TextCorpus.streamBatch(validation, streams: streams, seqLen: seqLen, chunk: $0) }
    }

    /// Chunk k of `ids` cut into `streams` contiguous streams: inputs [T, B], targets the next characters.
    static func streamBatch(_ ids: [Int32], streams b: Int, seqLen t: Int, chunk: Int) -> Batch<Float> {
        let streamLength = ids.count / b
        var inputs = [Int32](repeating: 0, count: t * b), targets = inputs
        for r in 0..<b {
            let base = r * streamLength + chunk * t
            for s in 0..<t {
                inputs[s * b + r] = ids[base + s]
                targets[s * b + r] = ids[base + s + 1]
            }
        }
        return Batch(batchSize: b, seqLen: t, input: .tokens(inputs), target: .classes(targets))
    }
}
