import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Pause: RunAction {
    static let configuration = CommandConfiguration.command("Pause runs (a running run stops at its next step boundary with a checkpoint).", example: "rnnctl pause 12")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "Run ids.") var runs: [RecordID]
    static let verb = "pause requested"
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo { try await client.pause(id) }
}
