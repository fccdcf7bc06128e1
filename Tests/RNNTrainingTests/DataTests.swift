import Foundation
import RNNCore
@testable import RNNTraining
import Testing

@Suite struct DataTests {
    func dataError(_ make: () throws -> Any) -> TrainingError? {
        do { _ = try make(); return nil } catch { return error as? TrainingError }
    }

    // MARK: text

    @Test func textStreamsFollowCharRNNBatching() throws {
        let c = try config(["max_steps": .int(1), "batch_size": .int(2), "seq_len": .int(3), "val_fraction": .double(0)])
        let corpus = try TextCorpus(bytes: Array("abcdefghijklmnop".utf8), name: "t.txt", config: c)
        #expect(corpus.vocabulary.count == 16 && corpus.stepsPerEpoch == 2)
        let b = corpus.trainingBatch(epoch: 0, index: 1)
        // Streams "abcdefgh" and "ijklmnop"; chunk 1 reads characters 3...6 of each.
        guard case .tokens(let x) = b.input, case .classes(let y) = b.target else { Issue.record("kind"); return }
        let letters = { (ids: [Int32]) in String(ids.map { Character(corpus.vocabulary[Int($0)]) }) }
        #expect(letters(x) == "dlemfn")  // time-major: step 0 of both streams, then step 1, …
        #expect(letters(y) == "emfngo")
    }

    @Test func badTextIsRefusedWithThePlace() throws {
        let c = try config(["max_steps": .int(1), "batch_size": .int(2), "seq_len": .int(3)])
        #expect(dataError { try TextCorpus(bytes: [], name: "e.txt", config: c) }?.message == "e.txt: the file is empty")
        let invalid = Array("hello wor".utf8) + [0xC3, 0x28] + Array("ld".utf8)
        #expect(dataError { try TextCorpus(bytes: invalid, name: "u.txt", config: c) }?.message == "u.txt: invalid UTF-8 at byte offset 9")
        #expect(dataError { try TextCorpus(bytes: Array("abc".utf8), name: "s.txt", config: c) }?.key == "seq_len")
    }

    /// A corpus whose tail holds characters its head never uses (real corpora always do) is not refused: they
    /// read as the unknown-character id, one past the vocabulary, counted in a notice.
    @Test func charactersOnlyTheValidationSplitUsesReadAsTheUnknownCharacter() throws {
        let c = try config(["max_steps": .int(1), "batch_size": .int(2), "seq_len": .int(3), "val_fraction": .double(0.1)])
        let text = Array(String(repeating: "abcd", count: 20).utf8) + Array("zz[z".utf8)
        let corpus = try TextCorpus(bytes: text, name: "v.txt", config: c)
        #expect(corpus.vocabulary.map { String(Character($0)) } == ["a", "b", "c", "d"] && corpus.unknownID == 4)
        #expect(corpus.outputSize == 5 && corpus.input == .tokens(vocabularySize: 5), "the unknown character has its own id and output")
        #expect(corpus.validation.suffix(4) == [4, 4, 4, 4], "z and [ both read as the unknown id")
        #expect(corpus.notices == [#"the validation split has 4 character(s) the training split never uses (2 distinct: "[" (U+5B) ×1, "z" (U+7A) ×3); they read as the unknown-character id, and their loss counts"#],
                "\(corpus.notices)")
        #expect(corpus.metadata.unknownID == 4)
        #expect(try TextCorpus(bytes: Array(String(repeating: "abcd", count: 21).utf8), name: "w.txt", config: c).notices.isEmpty)
    }

    /// A text model from before the unknown-character id resumes with the vocabulary it was trained with: the
    /// checkpoint being resumed decides how the corpus is read.
    @Test func aCheckpointFromBeforeTheUnknownCharacterResumesWithItsVocabulary() throws {
        let c = try config(["max_steps": .int(2), "batch_size": .int(2), "seq_len": .int(3), "val_fraction": .double(0.1), "hidden_size": .int(4),
                            "embedding_size": .int(4), "workers": .int(1)])
        let text = Array(String(repeating: "abcd", count: 20).utf8)
        let old = try TextCorpus(bytes: text, name: "t.txt", config: c, unknownCharacter: false)
        let trainer = try Trainer(config: c, data: old, checkpointDirectory: nil) { _ in }
        _ = try trainer.run()
        let checkpoint = try trainer.makeCheckpoint()
        #expect(checkpoint.metadata.unknownID == nil && old.outputSize == 4)
        let resumed = try DatasetLoader.load(kind: .text, bytes: text, name: "t.txt", config: c, resuming: checkpoint)
        #expect(resumed.outputSize == 4)
        _ = try Trainer(config: c, data: resumed, checkpointDirectory: nil, resumeFrom: checkpoint) { _ in }
        #expect(try DatasetLoader.load(kind: .text, bytes: text, name: "t.txt", config: c).outputSize == 5, "a new run has the unknown id")
        let refused = dataError { try TextCorpus(bytes: text + Array("zz".utf8), name: "v.txt", config: c, unknownCharacter: false) }
        #expect(refused?.key == "val_fraction" && refused?.message.contains(#""z" (U+7A)"#) == true, "the old reading still refuses them")
    }

    // MARK: CSV

    let csv = "time,temp,load\n" + (0..<40).map { "\($0),\(Double($0) * 0.5),\(($0 * 7) % 5)" }.joined(separator: "\n") + "\n"

    func csvConfig(_ extra: [String: ConfigValue] = [:]) throws -> RunConfig {
        try config(["max_steps": .int(1), "task": .string("regression"), "batch_size": .int(4), "seq_len": .int(5),
                    "input_columns": .list(["temp", "load"]), "target_columns": .list(["temp"]), "horizon": .int(2),
                    "val_fraction": .double(0.25)].merging(extra) { $1 })
    }

    @Test func csvWindowsPredictTheHorizonWithTrainingStatistics() throws {
        let series = try TimeSeriesCSV(bytes: Array(csv.utf8), name: "s.csv", config: csvConfig())
        // 30 training rows: temp 0 … 14.5, mean 7.25; the validation rows never enter the statistics.
        #expect(abs(series.mean[0] - 7.25) < 1e-12)
        #expect(series.stepsPerEpoch == (30 - 5 - 2 + 1) / 4)
        let first = series.batch(starts: [0])
        guard case .values(let y) = first.target, case .features(let x) = first.input else { Issue.record("kind"); return }
        // Window rows 0…4, target temp at row 4 + 2 = 6 → 3.0, normalised.
        #expect(abs(Double(y[0]) - (3.0 - series.mean[2]) / series.std[2]) < 1e-6)
        #expect(x.count == 5 * 2)
        #expect(series.order(epoch: 0) != series.order(epoch: 1), "windows are reshuffled every epoch")
        let third = series.order(epoch: 3)
        #expect(series.order(epoch: 0) != third && series.order(epoch: 3) == third, "an epoch's order depends on (seed, epoch) only")
        #expect(third.sorted() == Array(0..<third.count), "a permutation of every window")
        let validation = series.validationBatches().reduce(0) { $0 + $1.batchSize }
        #expect(validation == 10 - 5 - 2 + 1)
    }

    @Test func badCSVIsRefusedWithLineAndColumn() throws {
        #expect(dataError { try TimeSeriesCSV(bytes: Array(csv.utf8), name: "s.csv", config: csvConfig(["input_columns": .list(["pressure"])])) }?.message.contains("unknown column \"pressure\"") == true)
        let ragged = csv.replacingOccurrences(of: "\n7,3.5,4\n", with: "\n7,3.5\n")
        #expect(dataError { try TimeSeriesCSV(bytes: Array(ragged.utf8), name: "s.csv", config: csvConfig()) }?.message == "s.csv: line 9 has 2 fields, the header has 3")
        let text = csv.replacingOccurrences(of: "\n7,3.5,4\n", with: "\n7,warm,4\n")
        #expect(dataError { try TimeSeriesCSV(bytes: Array(text.utf8), name: "s.csv", config: csvConfig()) }?.message == "s.csv: line 9, column \"temp\": \"warm\" is not a finite number")
        let nan = csv.replacingOccurrences(of: "\n7,3.5,4\n", with: "\n7,nan,4\n")
        #expect(dataError { try TimeSeriesCSV(bytes: Array(nan.utf8), name: "s.csv", config: csvConfig()) }?.message.contains("line 9") == true)
        #expect(dataError { try TimeSeriesCSV(bytes: Array(csv.utf8), name: "s.csv", config: csvConfig(["seq_len": .int(40)])) }?.key == "seq_len")
    }

    // MARK: JSON Lines

    func jsonlConfig(_ extra: [String: ConfigValue] = [:]) throws -> RunConfig {
        try config(["max_steps": .int(1), "task": .string("classification"), "batch_size": .int(2), "seq_len": .int(2),
                    "val_fraction": .double(0)].merging(extra) { $1 })
    }

    @Test func jsonlClassificationAndRegression() throws {
        let lines = (0..<4).map { #"{"input": [[\#($0), 1], [2, 3]], "target": \#($0 % 3)}"# }.joined(separator: "\n")
        let file = try SequenceFile(bytes: Array(lines.utf8), name: "c.jsonl", config: jsonlConfig())
        #expect(file.outputSize == 3 && file.targets == .lastStep && file.loss == .crossEntropy && file.width == 2)
        let perStep = #"{"input": [[1], [2]], "target": [[0.5], [1.5]]}"# + "\n" + #"{"input": [[3], [4]], "target": [[2.5], [3.5]]}"#
        let regression = try SequenceFile(bytes: Array(perStep.utf8), name: "r.jsonl", config: jsonlConfig(["task": .string("regression")]))
        #expect(regression.targets == .everyStep && regression.outputSize == 1 && regression.loss == .meanSquaredError)
    }

    @Test func badJSONLIsRefusedWithTheLine() throws {
        let good = #"{"input": [[1, 2], [3, 4]], "target": 1}"#
        func message(_ second: String, _ extra: [String: ConfigValue] = [:]) -> String? {
            dataError { try SequenceFile(bytes: Array((good + "\n" + second + "\n" + good).utf8), name: "d.jsonl", config: try jsonlConfig(extra)) }?.message
        }
        #expect(message(#"{"input": [[1, 2], [3]], "target": 1}"#) == "d.jsonl: line 2: step 1 of \"input\" has 1 values, step 0 has 2 (ragged rows)")
        #expect(message("{oops") == "d.jsonl: line 2: not a JSON object")
        #expect(message(#"{"input": [[1, "x"], [3, 4]], "target": 1}"#)?.contains("line 2: input step 0") == true)
        #expect(message(#"{"input": [[1, 2], [3, 4]], "target": 7}"#, ["num_classes": .int(3)])?.contains("class index 7") == true)
        #expect(message(#"{"input": [[1, 2], [3, 4]], "target": true}"#)?.contains("line 2") == true)
        #expect(message(#"{"input": [[1, 2], [3, 4], [5, 6]], "target": 1}"#)?.contains("line 2: input is 3 steps") == true)
    }

    // MARK: validation split

    @Test func validationIsNeverSkippedSilently() throws {
        // 4 JSON lines with val_fraction 0.1: no example is held out, though validation was asked for.
        let lines = (0..<4).map { #"{"input": [[\#($0), 1], [2, 3]], "target": \#($0 % 3)}"# }.joined(separator: "\n")
        let refused = dataError {
            try DatasetLoader.load(kind: .jsonl, bytes: Array(lines.utf8), name: "few.jsonl", config: try jsonlConfig(["val_fraction": .double(0.1)]))
        }
        #expect(refused?.key == "val_fraction" && refused?.message.contains("few.jsonl") == true, "\(String(describing: refused))")
        // A text whose 1% tail is shorter than a sequence.
        let text = Array(String(repeating: "abcdefgh", count: 50).utf8)
        let short = dataError {
            try DatasetLoader.load(kind: .text, bytes: text, name: "t.txt", config: try config(["max_steps": .int(1), "batch_size": .int(4),
                                                                                                  "seq_len": .int(8), "val_fraction": .double(0.001)]))
        }
        #expect(short?.key == "val_fraction", "\(String(describing: short))")
        // Early stopping with no validation split is a configuration error naming patience.
        let patience = dataError { try config(["max_steps": .int(1), "val_fraction": .double(0), "patience": .int(3)]) }
        #expect(patience?.key == "patience" && patience?.message.contains("val_fraction") == true)
        // A split of less than one batch is evaluated in a smaller batch, not skipped.
        let ok = try DatasetLoader.load(kind: .text, bytes: text, name: "t.txt", config: try config(["max_steps": .int(1), "batch_size": .int(16),
                                                                                                    "seq_len": .int(8), "val_fraction": .double(0.05)]))
        #expect(!ok.validationBatches().isEmpty)
    }
}
