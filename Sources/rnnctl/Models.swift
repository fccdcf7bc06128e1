import ArgumentParser
import Foundation
import RNNAPI

struct Sample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Text from a run's language model.",
        discussion: "Example: rnnctl sample 12 --prime \"ROMEO:\" --length 500 --temperature 0.8 --top-k 5 --seed 1")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "The run id.") var run: String
    @Option(help: "The text to start from.") var prime = "\n"
    @Option(help: "Characters to generate.") var length = 300
    @Option(help: "Softmax temperature (> 0).") var temperature = 1.0
    @Option(help: "Draw only from the k likeliest characters.") var topK: Int?
    @Option(help: "The sampling seed.") var seed = 1
    @Option(help: "best, latest or a step.") var checkpoint = "latest"

    func run() async throws {
        try await perform {
            let r = try await connection.client().sample(try parseRunID(run), SampleRequest(
                prime: prime, length: length, temperature: temperature, topK: topK, seed: seed, checkpoint: checkpoint))
            if json { try Terminal.printJSON(r) } else { print(r.text) }
        }
    }
}

struct Forecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Values following a run's time series (or an uploaded CSV with the same columns).",
        discussion: "Example: rnnctl forecast 12 --steps 24 --json")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The run id.") var run: String
    @Option(help: "Steps ahead.") var steps = 1
    @Option(help: "A CSV whose last rows start the forecast (default: the run's own data).") var data: String?
    @Option(help: "best, latest or a step.") var checkpoint = "latest"

    func run() async throws {
        try await perform {
            let client = try connection.client()
            var sha: String?
            if let data { sha = try await Submit.upload(client, file: data, kind: "csv", quiet: true).sha256 }
            let f = try await client.forecast(try parseRunID(run), ForecastRequest(steps: steps, dataset: sha, checkpoint: checkpoint))
            if output.json { try Terminal.printJSON(f); return }
            print(Table(columns: ["ahead"] + f.columns, rows: f.values.enumerated().map { [String($0 + 1)] + $1.map { Format.number($0, digits: 6) } })
                .render(header: !output.noHeader))
        }
    }
}

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A run's model on a dataset: mean loss (nats), bits per character, accuracy.",
        discussion: "Example: rnnctl eval 12 --data heldout.txt")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON (loss, bits_per_char, accuracy, count, checkpoint_step).") var json = false
    @Argument(help: "The run id.") var run: String
    @Option(help: "The dataset file (uploaded, or reused by hash).") var data: String
    @Option(help: "The dataset's kind: text, csv or jsonl (default: from the extension).") var kind: String?
    @Option(help: "best, latest or a step.") var checkpoint = "latest"

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let sha = try await Submit.upload(client, file: data, kind: kind, quiet: true).sha256
            let e = try await client.evaluate(try parseRunID(run), EvaluateRequest(dataset: sha, checkpoint: checkpoint))
            if json { try Terminal.printJSON(e); return }
            var parts = ["loss \(Format.number(e.loss))"]
            if let bpc = e.bitsPerChar { parts.append("bits_per_char \(Format.number(bpc))") }
            if let acc = e.accuracy { parts.append("accuracy \(Format.number(acc))") }
            parts.append("over \(e.count) targets (checkpoint of step \(e.checkpointStep))")
            print(parts.joined(separator: "  "))
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's parameters as safetensors (PyTorch names; loads with safetensors.torch.load_file).",
        discussion: "Example: rnnctl export 12 --checkpoint best -o model.safetensors")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run id.") var run: String
    @Option(help: "best, latest or a step.") var checkpoint = "latest"
    @Option(name: .shortAndLong, help: "The file to write.") var output: String

    func run() async throws {
        try await perform {
            let bytes = try await connection.client().export(try parseRunID(run), checkpoint: checkpoint)
            guard FileManager.default.createFile(atPath: output, contents: bytes) else { throw CLIError.usage("cannot write \(output)") }
            print("wrote \(output) (\(bytes.count) bytes)")
        }
    }
}
