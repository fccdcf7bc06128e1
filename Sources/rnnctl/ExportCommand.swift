import ArgumentParser
import Foundation
import RNNAPI

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Write a checkpoint's parameters as safetensors (PyTorch names; loads with safetensors.torch.load_file).",
        example: "rnnctl export 12 --checkpoint best -o model.safetensors")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run id.") var run: RecordID
    @Option(help: "The checkpoint: best, latest or a step.") var checkpoint: CheckpointChoice = .latest
    @Option(name: .shortAndLong, help: "The file to write.") var output: String

    func run() async throws {
        try await perform {
            let bytes = try await connection.client().export(run.value, checkpoint: checkpoint)
            guard FileManager.default.createFile(atPath: output, contents: bytes) else { throw CLIError.usage("cannot write \(output)") }
            print("wrote \(output) (\(bytes.count) bytes)")
        }
    }
}
