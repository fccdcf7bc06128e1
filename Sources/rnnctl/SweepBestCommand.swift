import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct SweepBest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "best", abstract: "The best trial so far: its run, its value and its whole configuration.",
        discussion: "Example: rnnctl sweep best 3 --json")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The sweep id.") var sweep: RecordID

    struct Best: Encodable {
        var sweep: Int64
        var trial: Int
        var run: Int64?
        var metric: String
        var value: Double?
        var config: [String: APIValue]
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let id = sweep.value
            let detail = try await client.sweep(id)
            guard let best = detail.best else { throw CLIError.usage("sweep \(id) has no finished trial yet") }
            var config = best.assignment
            if let run = best.runId { config = try await client.run(run).config }
            let answer = Best(sweep: id, trial: best.number, run: best.runId, metric: detail.sweep.metric, value: best.value, config: config)
            if output.json { try Terminal.printJSON(answer); return }
            print("sweep \(id): trial \(best.number), run \(best.runId.map(String.init) ?? "-"), \(detail.sweep.metric) \(Format.number(best.value))")
            print(Table(columns: ["key", "value"], rows: config.keys.sorted().map { ["  " + $0, config[$0]!.description] }).render(header: false))
        }
    }
}
