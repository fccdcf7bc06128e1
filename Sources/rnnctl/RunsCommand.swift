import ArgumentParser
import Foundation
import RNNAPI

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Past and present runs, filtered and sorted.",
        discussion: """
            The filter language: comparisons of hyperparameters (hidden_size >= 256), metric summaries \
            (best.val_loss < 1.6, latest.train_loss), state, name ~ text, tag = x, submitted > 2026-11-01; \
            joined with and, or, not and parentheses. Sort by any of these, - for descending. \
            Columns (--format): \(RunColumns.all.keys.sorted().joined(separator: ", ")).

            Example: rnnctl runs --filter 'cell = lstm and (hidden_size >= 256 or layers = 3) and best.val_loss < 1.6' --sort best.val_loss --limit 20
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A filter expression.") var filter: String?
    @Option(help: "Sort fields, comma-separated (default: -submitted).") var sort: String?
    @Option(parsing: .unconditional, help: "At most this many runs.") var limit: Int = 50
    @Option(parsing: .unconditional, help: "Skip this many runs (paging).") var offset: Int = 0

    func run() async throws {
        try await perform {
            let runs = try await connection.client().runs(filter: filter, sort: sort, limit: limit, offset: offset)
            if output.json { try Terminal.printJSON(RunList(runs: runs)); return }
            let table = try RunColumns.table(runs, format: output.format,
                                             defaults: ["id", "name", "state", "step", "train_loss", "best_val_loss", "submitted"])
            print(table.render(header: !output.noHeader))
        }
    }
}
