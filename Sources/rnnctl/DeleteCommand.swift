import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete runs that are not running, with their metrics and checkpoint files.",
        discussion: """
            On a terminal it asks first (--yes does not). A run other runs were forked from is refused unless \
            --force (they would lose their "forked from" line).

            Example: rnnctl delete 12 --yes
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [RecordID]
    @Flag(name: .shortAndLong, help: "Do not ask (for scripts).") var yes = false
    @Flag(help: "Also delete a run that has forks.") var force = false

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let ids = runs.map(\.value)
            if !yes && isatty(STDIN_FILENO) == 1 {
                var listed: [String] = []
                for id in ids {
                    let run = try await client.run(id).run
                    listed.append("run \(id) (\(run.name), \(run.state), step \(run.step))")
                }
                printErrorInline("delete \(listed.joined(separator: ", ")) with its metrics and checkpoints? [y/N] ")
                guard let answer = readLine()?.lowercased(), answer == "y" || answer == "yes" else {
                    printError("nothing deleted")
                    return
                }
            }
            for id in ids {
                try await client.delete(id, force: force)
                print("run \(id) deleted")
            }
        }
    }
}
