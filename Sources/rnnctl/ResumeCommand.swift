import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Resume: RunAction {
    static let configuration = CommandConfiguration.command("Queue paused runs again; each continues from its last checkpoint.", example: "rnnctl resume 12")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "Run ids.") var runs: [RecordID]
    static let verb = "queued again"
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo { try await client.resume(id) }
}
