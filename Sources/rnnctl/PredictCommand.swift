import ArgumentParser
import Foundation
import RNNAPI

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command(
        "A run's predictions for the examples of a JSON Lines file (targets may be left out), one line per example.",
        example: "rnnctl predict 12 --data new.jsonl --top 3 --output predictions.jsonl")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print one JSON object per example (class, probability, top; classes and probabilities per step; values or steps).") var json = false
    @Argument(help: "The run id.") var run: RecordID
    @Option(help: "The JSON Lines file (uploaded, or reused by hash).") var data: String
    @Option(help: "The checkpoint: best, latest or a step.") var checkpoint: CheckpointChoice = .latest
    @Option(help: "Classification: how many of the likeliest classes to list.") var top = 3
    @Option(name: .shortAndLong, help: "Write the predictions to this file as JSON Lines instead of printing them.") var output: String?

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let sha = try await Submit.upload(client, file: data, kind: .jsonl, quiet: true).sha256
            let answer = try await client.predict(run.value, PredictRequest(dataset: sha, checkpoint: checkpoint, topK: top))
            if let output {
                let lines = try answer.predictions.map { String(decoding: try APIJSON.encoder.encode($0), as: UTF8.self) }
                do {
                    try (lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
                } catch {
                    throw CLIError.usage("cannot write \(output): \(error.localizedDescription)")
                }
                print("wrote \(output) (\(answer.predictions.count) predictions, checkpoint of step \(answer.checkpointStep))")
                return
            }
            for prediction in answer.predictions {
                if json { try Terminal.printJSON(prediction, pretty: false) } else { print(Self.line(prediction)) }
            }
        }
    }

    /// `class 2  p 0.9132  top 2 0.9132, 0 0.0511, 1 0.0357`, or the classes or values per step.
    static func line(_ p: PredictionInfo) -> String {
        if let c = p.class, let probability = p.probability {
            let top = (p.top ?? []).map { "\($0.class) \(Format.number($0.probability))" }.joined(separator: ", ")
            return "class \(c)  p \(Format.number(probability))" + (top.isEmpty ? "" : "  top \(top)")
        }
        if let classes = p.classes { return "classes " + classes.map(String.init).joined(separator: " ") }
        if let values = p.values { return values.map { Format.number($0) }.joined(separator: " ") }
        return (p.steps ?? []).map { $0.map { Format.number($0) }.joined(separator: " ") }.joined(separator: " | ")
    }
}
