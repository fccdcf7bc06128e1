import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct SweepStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The sweeps, or one sweep: its trials (rung, state, steps, metric) and the best so far with its configuration.",
        discussion: "Example: rnnctl sweep status 3")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "A sweep id (none: every sweep).") var sweep: RecordID?

    func run() async throws {
        try await perform {
            let client = try connection.client()
            guard let sweep else {
                let sweeps = try await client.sweeps()
                if output.json { try Terminal.printJSON(SweepList(sweeps: sweeps)); return }
                print(Table(columns: ["id", "name", "state", "method", "metric", "trials", "done", "steps", "submitted"], rows: sweeps.map { s in
                    [String(s.id), s.name, s.state.rawValue, s.method.rawValue, "\(s.goal.rawValue) \(s.metric)", String(s.trials),
                     String((s.counts["completed"] ?? 0) + (s.counts["stopped"] ?? 0) + (s.counts["failed"] ?? 0)), String(s.steps), Format.time(s.submittedAt)]
                }).render(header: true))
                return
            }
            let detail = try await client.sweep(sweep.value)
            if output.json { try Terminal.printJSON(detail); return }
            Self.report(detail)
        }
    }

    static func report(_ d: SweepDetail) {
        let s = d.sweep
        Swift.print("sweep \(s.id)  \(s.name)  \(s.state.rawValue)  \(s.method.rawValue)  \(s.goal.rawValue) \(s.metric)  seed \(s.seed)  max_concurrent \(s.maxConcurrent)")
        Swift.print("  space \(s.space.joined(separator: "  "))" + (s.asha.map { "  rungs min_steps \($0.minSteps) eta \($0.eta) max_steps \($0.maxSteps)" } ?? ""))
        Swift.print("  trials \(s.trials): " + s.counts.keys.sorted().map { "\(s.counts[$0]!) \($0)" }.joined(separator: ", ") + "; \(s.steps) training steps spent")
        Swift.print(Table(columns: ["trial", "run", "rung", "state", "steps", s.metric, "assignment"], rows: d.trials.map { t in
            [String(t.number), t.runId.map(String.init) ?? "-", String(t.rung), t.state.rawValue, String(t.steps), Format.number(t.value),
             t.assignment.keys.sorted().map { "\($0)=\(t.assignment[$0]!)" }.joined(separator: " ")]
        }).render(header: true))
        if let best = d.best {
            Swift.print("best: trial \(best.number) (run \(best.runId.map(String.init) ?? "-")), \(s.metric) \(Format.number(best.value)): "
                        + best.assignment.keys.sorted().map { "\($0)=\(best.assignment[$0]!)" }.joined(separator: " "))
        }
    }
}
