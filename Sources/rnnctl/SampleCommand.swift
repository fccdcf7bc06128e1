import ArgumentParser
import Foundation
import RNNAPI

struct Sample: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Text from a run's language model.",
        example: "rnnctl sample 12 --prime \"ROMEO:\" --length 500 --temperature 0.8 --top-k 5 --seed 1")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "The run id.") var run: RecordID
    @Option(help: "The text to start from.") var prime = "\n"
    @Option(parsing: .unconditional, help: "Characters to generate.") var length = 300
    @Option(parsing: .unconditional, help: "Softmax temperature (> 0).") var temperature = 1.0
    @Option(parsing: .unconditional, help: "Draw only from the k likeliest characters.") var topK: Int?
    @Option(parsing: .unconditional, help: "The sampling seed.") var seed = 1
    @Option(help: "The checkpoint: best, latest or a step.") var checkpoint: CheckpointChoice = .latest

    func run() async throws {
        try await perform {
            let r = try await connection.client().sample(run.value, SampleRequest(
                prime: prime, length: length, temperature: temperature, topK: topK, seed: seed, checkpoint: checkpoint))
            if json { try Terminal.printJSON(r) } else { print(r.text) }
        }
    }
}
