import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

/// cancel, pause, resume: one request per run id.
protocol RunAction: AsyncParsableCommand {
    var connection: ConnectionOptions { get }
    var runs: [String] { get }
    static var verb: String { get }
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo
}

extension RunAction {
    func run() async throws {
        try await perform {
            let client = try connection.client()
            for text in runs {
                let run = try await Self.apply(client, try parseRunID(text))
                print("run \(run.id): \(Self.verb) (now \(run.state))")
            }
        }
    }
}
