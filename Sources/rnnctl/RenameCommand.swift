import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Rename: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Rename a run (any state; the run's events record the old name).", example: "rnnctl rename 12 lstm-baseline")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The run id.") var run: RecordID
    @Argument(help: "The new name (1 to 200 characters).") var name: String

    func run() async throws {
        try await perform {
            let edited = try await connection.client().edit(run.value, EditRequest(name: name))
            if output.json { try Terminal.printJSON(edited) } else { print("run \(edited.id): renamed to \(edited.name)") }
        }
    }
}
