import ArgumentParser
import Foundation
import RNNAPI

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("A run's model on a dataset: mean loss (nats), bits per character, accuracy.",
        example: "rnnctl eval 12 --data heldout.txt")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON (loss, bits_per_char, accuracy, count, unknown_characters, baseline_loss, baseline_accuracy, checkpoint_step).") var json = false
    @Argument(help: "The run id.") var run: RecordID
    @Option(help: "The dataset file (uploaded, or reused by hash).") var data: String
    @Option(help: "The dataset's kind: text, csv or jsonl (default: from the extension).") var kind: DatasetKind?
    @Option(help: "The checkpoint: best, latest or a step.") var checkpoint: CheckpointChoice = .latest

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let sha = try await Submit.upload(client, file: data, kind: kind, quiet: true).sha256
            let e = try await client.evaluate(run.value, EvaluateRequest(dataset: sha, checkpoint: checkpoint))
            if json { try Terminal.printJSON(e); return }
            var parts = ["loss \(Format.number(e.loss))"]
            if let bpc = e.bitsPerChar { parts.append("bits_per_char \(Format.number(bpc))") }
            if let acc = e.accuracy { parts.append("accuracy \(Format.number(acc))") }
            let unknown = e.unknownCharacters.map { $0 > 0 ? ", \($0) of them characters the model never trained on" : "" } ?? ""
            parts.append("over \(e.count) targets\(unknown) (checkpoint of step \(e.checkpointStep))")
            print(parts.joined(separator: "  "))
            if let baseline = e.baselineLoss {
                print("baseline (the data's own " + (e.accuracy != nil ? "class frequencies" : e.bitsPerChar != nil ? "character frequencies" : "mean")
                      + "): loss \(Format.number(baseline))" + (e.baselineAccuracy.map { "  accuracy \(Format.number($0)) (majority class)" } ?? ""))
            }
        }
    }
}
