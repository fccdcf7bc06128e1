import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Fork: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Start a new run from one of a run's checkpoints, with changed hyperparameters.",
        example: "rnnctl fork 12 --checkpoint best --set lr=0.001 --set max_steps=4000")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run to fork.") var run: RecordID
    @Option(help: "The checkpoint: best, latest or a step.") var checkpoint: CheckpointChoice = .latest
    @Option(name: .customLong("set"), help: "A changed key, e.g. --set lr=0.001 (repeatable).") var assignments: [String] = []
    @Option(help: "The new run's name.") var name: String?
    @Flag(name: .shortAndLong, help: "Print only the new run's id.") var quiet = false
    @OptionGroup var output: JSONOption
    @Flag(help: "Follow the new run until it ends.") var watch = false

    func validate() throws {
        if output.json && watch { throw ValidationError("give --json or --watch, not both (watch the run with: rnnctl watch RUN --json)") }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let forked = try await client.fork(run.value, ForkRequest(checkpoint: checkpoint, set: try parseAssignments(assignments), name: name))
            if output.json { try Terminal.printJSON(forked) } else if quiet { print(forked.id) } else { print("run \(forked.id) forked from run \(run) at step \(forked.parentCheckpointStep ?? 0), \(forked.state)") }
            if watch { try await Watch.follow(client, forked.id) }
        }
    }
}
