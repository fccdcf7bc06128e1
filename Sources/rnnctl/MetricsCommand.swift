import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Metrics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A metric's series: step and value per line.",
        discussion: """
            Names: train_loss, val_loss, val_bpc, val_accuracy, grad_norm, lr, tokens_per_s, epoch, wall_time, forget_gate_lN, forget_sat_lN, grad_flow_lag_K.

            Example: rnnctl metrics 12 --name val_loss --format csv
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run id.") var run: RecordID
    @Option(help: "The metric.") var name = "train_loss"
    @Option(help: "The output: table, csv or json.") var format: SeriesFormat = .table
    @Option(parsing: .unconditional, help: "Downsample to about this many points.") var maxPoints: Int?
    @Flag(help: "Leave out the header line.") var noHeader = false
    @Flag(help: "Print JSON (the same as --format json).") var json = false

    func validate() throws {
        if json && format != .table && format != .json { throw ValidationError("give --json or --format \(format), not both") }
    }

    func run() async throws {
        try await perform {
            let series = try await connection.client().series(run.value, name: name, maxPoints: maxPoints)
            switch json ? .json : format {
            case .json: try Terminal.printJSON(series)
            case .csv:
                if !noHeader { print("step,value") }
                for p in series.points { print("\(p.step),\(p.value)") }
            case .table:
                print(Table(columns: ["step", name], rows: series.points.map { [String($0.step), Format.number($0.value, digits: 6)] }).render(header: !noHeader))
            }
        }
    }
}
