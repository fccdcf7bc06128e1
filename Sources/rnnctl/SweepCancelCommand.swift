import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct SweepCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a sweep: its training trials' runs are cancelled, the others stop.",
        discussion: "Example: rnnctl sweep cancel 3")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The sweep id.") var sweep: RecordID

    func run() async throws {
        try await perform {
            let info = try await connection.client().cancelSweep(sweep.value)
            if output.json { try Terminal.printJSON(info) } else { print("sweep \(info.id): \(info.state.rawValue)") }
        }
    }
}
