import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a dataset file and print its SHA-256.",
        discussion: """
            The file is streamed from disk (memory stays flat whatever its size) and stored once per content: \
            uploading the same bytes again reuses them. Runs then name it with submit --dataset SHA256.

            Example: rnnctl upload shakespeare.txt
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The dataset file (text, .csv or .jsonl).") var file: String
    @Option(help: "The dataset's kind: text, csv or jsonl (default: from the file's extension).") var kind: DatasetKind?
    @Flag(name: .shortAndLong, help: "Print only the SHA-256, no progress.") var quiet = false
    @OptionGroup var output: JSONOption

    func run() async throws {
        try await perform {
            let info = try await Submit.upload(try connection.client(), file: file, kind: kind, quiet: quiet || output.json)
            if output.json { try Terminal.printJSON(info) } else { print(info.sha256) }
        }
    }
}
