import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete runs that are not running, with their metrics and checkpoint files.",
        discussion: "Example: rnnctl delete 12")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [String]

    func run() async throws {
        try await perform {
            let client = try connection.client()
            for text in runs {
                let id = try parseRunID(text)
                try await client.delete(id)
                print("run \(id) deleted")
            }
        }
    }
}
