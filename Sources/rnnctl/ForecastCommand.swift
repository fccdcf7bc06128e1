import ArgumentParser
import Foundation
import RNNAPI

struct Forecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Values following a run's time series (or an uploaded CSV with the same columns).",
        example: "rnnctl forecast 12 --steps 24 --json")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: TableOutputOptions
    @Argument(help: "The run id.") var run: RecordID
    @Option(parsing: .unconditional, help: "Steps ahead.") var steps = 1
    @Option(help: "A CSV whose last rows start the forecast (default: the run's own data).") var data: String?
    @Option(help: "The checkpoint: best, latest or a step.") var checkpoint: CheckpointChoice = .latest

    func run() async throws {
        try await perform {
            let client = try connection.client()
            var sha: String?
            if let data { sha = try await Submit.upload(client, file: data, kind: .csv, quiet: true).sha256 }
            let f = try await client.forecast(run.value, ForecastRequest(steps: steps, dataset: sha, checkpoint: checkpoint))
            if output.json { try Terminal.printJSON(f); return }
            print(Table(columns: ["ahead"] + f.columns, rows: f.values.enumerated().map { [String($0 + 1)] + $1.map { Format.number($0, digits: 6) } })
                .render(header: !output.noHeader))
        }
    }
}
