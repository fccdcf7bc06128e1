import Foundation
import RNNCore
@testable import RNNTraining
import Testing

@Suite struct InferenceTests {
    func trainedText() throws -> TrainedModel {
        let c = try config(["max_steps": .int(60), "hidden_size": .int(32), "embedding_size": .int(8), "layers": .int(1),
                            "batch_size": .int(8), "seq_len": .int(16), "workers": .int(1), "lr": .double(0.01), "eval_every": .int(0)])
        let data = try DatasetLoader.load(kind: .text, bytes: sampleText(), name: "t.txt", config: c)
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: { _ in })
        _ = try trainer.run()
        return try TrainedModel(checkpoint: trainer.makeCheckpoint())
    }

    @Test func samplingIsSeededAndUsesTheVocabulary() throws {
        let model = try trainedText()
        let a = try model.sample(prime: "the ", length: 80, temperature: 0.8, topK: 5, seed: 3)
        let b = try model.sample(prime: "the ", length: 80, temperature: 0.8, topK: 5, seed: 3)
        let c = try model.sample(prime: "the ", length: 80, temperature: 0.8, topK: 5, seed: 4)
        #expect(a == b && a != c)
        #expect(a.unicodeScalars.count == 84 && a.hasPrefix("the "))
        #expect(Set(a.unicodeScalars.map(String.init)).isSubset(of: Set(model.metadata.vocabulary!)))
        let greedy = try model.sample(prime: "the ", length: 20, topK: 1)
        #expect(greedy == (try model.sample(prime: "the ", length: 20, topK: 1, seed: 99)), "top-k 1 is greedy, whatever the seed")
        // A prime with a character the model never trained on reads it as the unknown character; what is
        // sampled is never that id.
        let unknownPrime = try model.sample(prime: "thé", length: 200, temperature: 3, seed: 5)
        #expect(unknownPrime.hasPrefix("thé") && Set(unknownPrime.unicodeScalars.dropFirst(3).map(String.init)).isSubset(of: Set(model.metadata.vocabulary!)))
        var rng = Xoshiro256(seed: 1, stream: [1])
        let draws = (0..<1000).map { _ in TrainedModel.draw([0.01, 0.01, 0.98], temperature: 1, topK: nil, excluding: 2, rng: &rng) }
        #expect(!draws.contains(2) && Set(draws) == [0, 1], "the excluded id is never drawn, however likely")
    }

    @Test func evaluatingTextReportsNatsAndBits() throws {
        let model = try trainedText()
        let result = try model.evaluate(text: sampleText(2000, seed: 9), name: "eval.txt")
        #expect(result.count == 1999)
        #expect(result.loss > 0 && result.loss < log(10.0), "a trained model beats uniform over the vocabulary: \(result.loss)")
        #expect(abs(result.bitsPerChar! - result.loss / log(2.0)) < 1e-12)
        let unknown = try model.evaluate(text: Array("the rainé é".utf8), name: "x.txt")
        #expect(unknown.unknownCharacters == 2 && unknown.count == 10 && unknown.loss.isFinite, "unseen characters are counted and their loss included")
        #expect(result.unknownCharacters == 0)
        let baseline = try #require(result.baseline, "the text's own character frequencies beside the model")
        #expect(baseline.loss > 0 && baseline.loss < log(Double(model.network.spec.outputSize)) && baseline.accuracy != nil)
    }

    @Test func exportLoadsBackIntoTheSameNetwork() throws {
        let model = try trainedText()
        let file = try Safetensors.decode(model.safetensors())
        let restored = Buffer<Float>(count: model.network.parameterCount)
        try Safetensors.load(file, into: restored.buffer, network: model.network)
        #expect(restored.array == model.parameters.array)
        #expect(try RunConfig(json: Data(file.metadata[Safetensors.configKey]!.utf8)) == model.config)
        #expect(file.metadata[Safetensors.vocabularyKey] != nil)
    }

    @Test func forecastingASeriesInItsUnits() throws {
        let csv = "t,y\n" + (0..<300).map { "\($0),\(10 + 3 * sin(Double($0) * 0.2))" }.joined(separator: "\n")
        let c = try config(["task": .string("regression"), "input_columns": .list(["y"]), "target_columns": .list(["y"]),
                            "max_steps": .int(300), "batch_size": .int(16), "seq_len": .int(20), "hidden_size": .int(16),
                            "layers": .int(1), "workers": .int(2), "lr": .double(0.01), "eval_every": .int(0)])
        let data = try DatasetLoader.load(kind: .csv, bytes: Array(csv.utf8), name: "s.csv", config: c)
        let trainer = try Trainer(config: c, data: data, checkpointDirectory: nil, sink: { _ in })
        _ = try trainer.run()
        let model = try TrainedModel(checkpoint: trainer.makeCheckpoint())
        let forecast = try model.forecast(csv: Array(csv.utf8), name: "s.csv", steps: 5)
        #expect(forecast.count == 5)
        for (i, value) in forecast.enumerated() {
            let truth = 10 + 3 * sin(Double(300 + i) * 0.2)
            #expect(abs(value[0] - truth) < 0.6, "step \(i + 1): forecast \(value[0]), truth \(truth)")
        }
        let evaluation = try model.evaluate(data: Array(csv.utf8), name: "s.csv", kind: .csv)
        #expect(evaluation.loss < 0.05, "normalised MSE \(evaluation.loss)")
    }

    @Test func kindAndTaskMustFit() throws {
        let c = try config(["max_steps": .int(1), "task": .string("classification")])
        #expect(throws: TrainingError.self) { try DatasetLoader.load(kind: .text, bytes: sampleText(), name: "t.txt", config: c) }
    }
}
