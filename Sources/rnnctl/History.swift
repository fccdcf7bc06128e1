import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One run: configuration, metric summary, checkpoints, events.",
        discussion: "Example: rnnctl show 12 --json")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The run id.") var run: String

    func run() async throws {
        try await perform { try await Self.show(try connection.client(), try parseRunID(run), output: output) }
    }

    static func show(_ client: RNNClient, _ id: Int64, output: OutputOptions) async throws {
        let d = try await client.run(id)
        if output.json { try Terminal.printJSON(d); return }
        let r = d.run
        print("run \(r.id)  \(r.name)  \(Terminal.state(r.state))")
        print("  step \(Format.progress(r))  epoch \(r.epoch.map(String.init) ?? "-")  train_loss \(Format.number(r.trainLoss))  val_loss \(Format.number(r.valLoss))  best \(Format.number(r.bestValLoss))")
        print("  submitted \(Format.time(r.submittedAt)) by uid \(r.submittedBy.map(String.init) ?? "-"), started \(Format.time(r.startedAt)), finished \(Format.time(r.finishedAt)), restarts \(r.restarts)")
        print("  dataset \(r.dataset)  workers \(r.workers)  priority \(r.priority)" + (r.tags.isEmpty ? "" : "  tags \(r.tags.joined(separator: ","))"))
        if let parent = r.parentRunId { print("  forked from run \(parent) at step \(r.parentCheckpointStep ?? 0)") }
        if let failure = r.failure { print("  failure: \(failure)") }
        print("\nconfiguration")
        print(Table(columns: ["key", "value"], rows: d.config.keys.sorted().map { ["  " + $0, d.config[$0]!.description] }).render(header: false))
        if !d.metrics.isEmpty {
            print("\nmetrics")
            print(Table(columns: ["  name", "latest", "at step", "best", "at step", "points"], rows: d.metrics.map {
                ["  " + $0.name, Format.number($0.latestValue), String($0.latestStep), Format.number($0.bestValue), String($0.bestStep), String($0.count)]
            }).render(header: true))
        }
        if !d.checkpoints.isEmpty {
            print("\ncheckpoints")
            print(Table(columns: ["  step", "kind", "val_loss", "size", "written"], rows: d.checkpoints.map {
                ["  " + String($0.step), $0.kind.rawValue, Format.number($0.valLoss), "\($0.size >> 10) KiB", Format.time($0.createdAt)]
            }).render(header: true))
        }
        print("\nevents")
        print(Table(columns: ["  at", "kind", "step", "message"], rows: d.events.map {
            ["  " + Format.time($0.at), $0.kind.rawValue, $0.step.map(String.init) ?? "", $0.message + ($0.uid.map { " (uid \($0))" } ?? "")]
        }).render(header: true))
    }
}

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hyperparameters that differ and metric summaries, side by side.",
        discussion: "Example: rnnctl compare 12 13 14")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Two or more run ids.") var runs: [String]

    func validate() throws {
        if runs.count < 2 { throw ValidationError("compare needs at least two runs") }
    }

    func run() async throws {
        try await perform {
            let c = try await connection.client().compare(try runs.map(parseRunID))
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

struct Metrics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A metric's series: step and value per line.",
        discussion: """
            Names: train_loss, val_loss, val_bpc, val_accuracy, grad_norm, lr, tokens_per_s, epoch, wall_time, forget_gate_lN.

            Example: rnnctl metrics 12 --name val_loss --format csv
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run id.") var run: String
    @Option(help: "The metric.") var name = "train_loss"
    @Option(help: "table, csv or json.") var format = "table"
    @Option(help: "Downsample to about this many points.") var maxPoints: Int?
    @Flag(help: "Leave out the header line.") var noHeader = false

    func validate() throws {
        if !["table", "csv", "json"].contains(format) { throw ValidationError("--format must be table, csv or json") }
    }

    func run() async throws {
        try await perform {
            let series = try await connection.client().series(try parseRunID(run), name: name, maxPoints: maxPoints)
            switch format {
            case "json": try Terminal.printJSON(series)
            case "csv":
                if !noHeader { print("step,value") }
                for p in series.points { print("\(p.step),\(p.value)") }
            default:
                print(Table(columns: ["step", name], rows: series.points.map { [String($0.step), Format.number($0.value, digits: 6)] }).render(header: !noHeader))
            }
        }
    }
}
