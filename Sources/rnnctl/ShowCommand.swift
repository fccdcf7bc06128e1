import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("One run: configuration, metric summary, checkpoints, events.", example: "rnnctl show 12 --json")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The run id.") var run: RecordID

    func run() async throws {
        try await perform { try await Self.show(try connection.client(), run.value, json: output.json) }
    }

    static func show(_ client: RNNClient, _ id: Int64, json: Bool) async throws {
        let d = try await client.run(id)
        if json { try Terminal.printJSON(d); return }
        let r = d.run
        print("run \(r.id)  \(r.name)  \(Terminal.state(r.state))")
        print("  step \(Format.progress(r))  epoch \(r.epoch.map(String.init) ?? "-")  train_loss \(Format.number(r.trainLoss))  val_loss \(Format.number(r.valLoss))  best \(Format.number(r.bestValLoss))")
        print("  submitted \(Format.time(r.submittedAt)) by \(r.submittedBy.map { "\(Format.user($0)) (uid \($0))" } ?? "-"), started \(Format.time(r.startedAt)), finished \(Format.time(r.finishedAt)), restarts \(r.restarts)")
        print("  dataset \(r.dataset)  workers \(r.workers)  priority \(r.priority)" + (r.tags.isEmpty ? "" : "  tags \(r.tags.joined(separator: ","))"))
        if case .list(let hosts)? = d.config["hosts"], !hosts.isEmpty {
            var line = "  hosts \(hosts.joined(separator: ", ")) (rank 0 first)"
            if let step = d.metrics.first(where: { $0.name == "step_seconds" }), let comm = d.metrics.first(where: { $0.name == "comm_seconds" }) {
                let total = step.latestValue, communication = comm.latestValue
                line += String(format: "  step %.1f ms: compute %.1f ms, communication %.1f ms (%.0f%%)", total * 1000,
                               (total - communication) * 1000, communication * 1000, 100 * communication / max(total, 1e-12))
            }
            print(line)
        }
        if let note = r.note { print("  note: " + note.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n        ")) }
        if let sweep = r.sweepId { print("  a trial of sweep \(sweep) (rnnctl sweep status \(sweep))") }
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
            ["  " + Format.time($0.at), $0.kind.rawValue, $0.step.map(String.init) ?? "", $0.message + ($0.uid.map { " (\(Format.user($0)))" } ?? "")]
        }).render(header: true))
    }
}
