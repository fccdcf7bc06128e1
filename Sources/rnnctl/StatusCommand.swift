import ArgumentParser
import Foundation
import RNNAPI

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The queue and the running runs, or one run in detail.",
        discussion: """
            Columns (--format): \(RunColumns.all.keys.sorted().joined(separator: ", ")).

            Example: rnnctl status --format id,state,step,train_loss --no-header
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "A run id (default: every queued, running, paused or interrupted run).") var run: RecordID?

    func validate() throws {
        if run != nil && (output.format != nil || output.noHeader) {
            throw ValidationError("--format and --no-header apply to the list of runs; `status RUN` prints one run's report (--json for data)")
        }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            if let run {
                try await Show.show(client, run.value, json: output.json)
                return
            }
            let active = try await client.runs(filter: "state = running or state = queued or state = paused or state = interrupted",
                                               sort: "state,-priority,submitted", limit: 1000)
            if output.json { try Terminal.printJSON(RunList(runs: active)); return }
            if active.isEmpty && output.format == nil { print("no queued or running runs"); return }
            let table = try RunColumns.table(active, format: output.format,
                                             defaults: ["id", "name", "state", "step", "epoch", "train_loss", "val_loss", "tokens_per_s", "eta"])
            print(table.render(header: !output.noHeader))
        }
    }
}
