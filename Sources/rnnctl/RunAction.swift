import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

/// cancel, pause, resume: one request per run id; `--json` prints each run's new state as one JSON line.
protocol RunAction: AsyncParsableCommand {
    var connection: ConnectionOptions { get }
    var output: JSONOption { get }
    var runs: [RecordID] { get }
    static var verb: String { get }
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo
}

extension RunAction {
    func run() async throws {
        try await perform {
            let client = try connection.client()
            for id in runs {
                let run = try await Self.apply(client, id.value)
                // With --json: the run as the API returns it, one line per run (JSON Lines).
                if output.json { try Terminal.printJSON(run, pretty: false) } else { print("run \(run.id): \(Self.verb) (now \(run.state))") }
            }
        }
    }
}
