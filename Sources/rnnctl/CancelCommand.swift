import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Cancel: RunAction {
    static let configuration = CommandConfiguration.command("Cancel runs: a queued run at once, a running one at its next step boundary after a checkpoint.",
        example: "rnnctl cancel 12 13")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "Run ids.") var runs: [RecordID]
    static let verb = "cancel requested"
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo { try await client.cancel(id) }
}
