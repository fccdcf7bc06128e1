import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Hyperparameters that differ and metric summaries, side by side.", example: "rnnctl compare 12 13 14")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: TableOutputOptions
    @Argument(help: "Two or more run ids.") var runs: [RecordID]

    func validate() throws {
        if runs.count < 2 { throw ValidationError("compare needs at least two runs") }
    }

    func run() async throws {
        try await perform {
            let c = try await connection.client().compare(runs.map(\.value))
            if output.json { try Terminal.printJSON(c); return }
            let header = ["", ] + c.runs.map { "run \($0.id)" }
            var rows: [[String]] = [["name"] + c.runs.map(\.name), ["state"] + c.runs.map { Terminal.state($0.state) }, ["step"] + c.runs.map { String($0.step) }]
            for key in c.differences.keys.sorted() { rows.append([key] + c.differences[key]!.map { $0?.description ?? "-" }) }
            // Bookkeeping series (epoch, wall time, the scheduled lr) stay in --json; the table shows the rest.
            let names = Set(c.metrics.flatMap { $0.map(\.name) }).subtracting(["epoch", "wall_time", "lr"]).sorted()
            for name in names {
                let format: (Double?) -> String = name.hasSuffix("_per_s") ? { Format.rate($0) } : { Format.number($0) }
                rows.append(["best " + name] + c.metrics.map { list in format(list.first { $0.name == name }?.bestValue) })
                rows.append(["latest " + name] + c.metrics.map { list in format(list.first { $0.name == name }?.latestValue) })
            }
            print(Table(columns: header, rows: rows).render(header: !output.noHeader))
        }
    }
}
