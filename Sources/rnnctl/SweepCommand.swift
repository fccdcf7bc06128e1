import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNSupport

struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hyperparameter sweeps: grid, random and ASHA over a search space; each trial is a run.",
        discussion: """
            Example: rnnctl sweep submit --data corpus.txt --space 'lr=loguniform(1e-4, 1e-2)' --space 'hidden_size=[64, 128]' \
            --method asha --trials 12 --min-steps 100 --max-steps 900 --watch
            """,
        subcommands: [SweepSubmit.self, SweepStatus.self, SweepWatch.self, SweepCancel.self, SweepBest.self])
}

struct SweepSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a sweep: a dataset, a base configuration and a search space.",
        discussion: """
            The space: --space key=[a, b, …] (a list) or key=uniform(a, b), loguniform(a, b), int(a, b), choice(a, …); \
            or --space-file FILE (a JSON object of key → list or distribution text, or key = spec lines). grid tries every \
            combination of lists; random draws --trials configurations from --seed; asha draws --trials and trains them \
            to rungs of --min-steps·eta^k steps up to --max-steps, promoting the top 1/eta of each rung.

            Example: rnnctl sweep submit --data corpus.txt --space 'lr=[0.01, 0.003, 0.001]' --method grid --set max_steps=500 -q
            """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The dataset file to upload (text, .csv or .jsonl).") var data: String?
    @Option(help: "The dataset's kind: text, csv or jsonl (default: from the file's extension).") var kind: DatasetKind?
    @Option(help: "An uploaded dataset's SHA-256, instead of --data.") var dataset: String?
    @Option(help: "A search-space item, e.g. --space 'lr=loguniform(1e-4, 1e-2)' (repeatable).") var space: [String] = []
    @Option(help: "A file of search-space items (JSON object, or key = spec lines).") var spaceFile: String?
    @Option(help: "grid, random or asha.") var method: SweepMethod
    @Option(help: "The metric trials are judged by (default val_loss).") var metric: String?
    @Option(help: "min or max (default: max for *accuracy, else min).") var goal: SweepGoal?
    @Option(help: "random and asha: how many configurations to draw.") var trials: Int?
    @Option(parsing: .unconditional, help: "The seed of the draws (default: a random one, recorded).") var seed: Int?
    @Option(help: "Trials training at once (default 2).") var maxConcurrent: Int?
    @Option(help: "asha: the first rung's steps.") var minSteps: Int?
    @Option(help: "asha: the reduction factor (default 3).") var eta: Int = 3
    @Option(help: "asha: the last rung's steps (default: the base configuration's max_steps).") var maxSteps: Int?
    @Option(help: "A base configuration file (as for submit).") var config: String?
    @Option(name: .customLong("set"), help: "A base configuration key, e.g. --set hidden_size=128 (repeatable).") var assignments: [String] = []
    @Option(help: "The sweep's name.") var name: String?
    @Option(parsing: .unconditional, help: "The trials' priority.") var priority: Int?
    @Flag(name: .shortAndLong, help: "Print only the sweep id.") var quiet = false
    @Flag(help: "Follow the sweep until it ends.") var watch = false
    @OptionGroup var output: JSONOption

    func validate() throws {
        if (data == nil) == (dataset == nil) { throw ValidationError("give --data FILE or --dataset SHA256") }
        if space.isEmpty && spaceFile == nil { throw ValidationError("give the search space: --space key=… (repeatable) or --space-file FILE") }
        if output.json && watch { throw ValidationError("give --json or --watch, not both") }
        if method != .asha && (minSteps != nil || maxSteps != nil) { throw ValidationError("--min-steps and --max-steps belong to --method asha") }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            var base = try config.map(Submit.readConfig) ?? [:]
            base.merge(try parseAssignments(assignments)) { $1 }
            let items = space + (try spaceFile.map(Self.readSpace) ?? [])
            var asha: ASHASettings?
            if method == .asha {
                guard let minSteps else { throw CLIError.usage("--method asha needs --min-steps (the first rung's steps)") }
                let top: Int
                if let maxSteps { top = maxSteps } else if case .int(let m)? = base["max_steps"] { top = m } else {
                    throw CLIError.usage("--method asha needs --max-steps (or max_steps in the base configuration)")
                }
                asha = ASHASettings(minSteps: minSteps, eta: eta, maxSteps: top)
                base["max_steps"] = nil
            }
            let sha: String
            if let data { sha = try await Submit.upload(client, file: data, kind: kind, quiet: quiet || output.json).sha256 } else { sha = dataset! }
            let sweep = try await client.submitSweep(SweepRequest(
                name: name, dataset: sha, config: base, space: items, method: method, metric: metric, goal: goal, trials: trials, seed: seed,
                maxConcurrent: maxConcurrent, priority: priority, asha: asha, datasetName: data.map { ($0 as NSString).lastPathComponent }))
            if output.json { try Terminal.printJSON(sweep) } else if quiet { print(sweep.id) } else {
                print("submitted sweep \(sweep.id) (\(sweep.name)): \(sweep.method.rawValue), \(sweep.trials) trials, \(sweep.goal.rawValue) \(sweep.metric), seed \(sweep.seed)")
            }
            if watch { try await SweepWatch.follow(client, sweep.id, json: false) }
        }
    }

    /// A space file: a JSON object (key → list, or distribution text), or `key = spec` lines (# comments).
    static func readSpace(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.usage(FileProblem.cannotRead(path)) }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CLIError.usage("\(path): not a JSON object of key → list or distribution")
            }
            return try object.keys.sorted().map { key in
                switch object[key] {
                case let text as String: return "\(key)=\(text)"
                case let list as [Any]: return "\(key)=[\(list.map { "\($0)" }.joined(separator: ", "))]"
                default: throw CLIError.usage("\(path): \(key) must be a list or a distribution such as \"loguniform(1e-4, 1e-2)\"")
                }
            }
        }
        var items: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex else { throw CLIError.usage("\(path):\(index + 1): expected key = spec") }
            items.append(line[..<eq].trimmingCharacters(in: .whitespaces) + "=" + line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces))
        }
        return items
    }
}

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

struct SweepWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a sweep's decisions (trials started, results, promotions, stops) until it ends.",
        discussion: "Exit status: 0 completed, 4 failed, 5 cancelled. Example: rnnctl sweep watch 3")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The sweep id.") var sweep: RecordID
    @Flag(help: "One JSON object per event.") var json = false

    func run() async throws {
        try await perform { try await Self.follow(try connection.client(), sweep.value, json: json) }
    }

    static func follow(_ client: RNNClient, _ id: Int64, json: Bool) async throws {
        var seen = 0
        while true {
            let detail = try await client.sweep(id)
            for event in detail.events.dropFirst(seen) {
                if json { try Terminal.printJSON(event, pretty: false) } else { print("\(Format.time(event.at))  \(event.message)") }
            }
            seen = detail.events.count
            fflush(nil)
            if detail.sweep.state != .running {
                if !json { SweepStatus.report(detail) }
                switch detail.sweep.state {
                case .completed: return
                case .failed: throw ExitCode(Exit.runFailed)
                default: throw ExitCode(Exit.runStopped)
                }
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

struct SweepCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a sweep: its training trials' runs are cancelled, the others stop.",
        discussion: "Example: rnnctl sweep cancel 3")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The sweep id.") var sweep: RecordID

    func run() async throws {
        try await perform {
            let info = try await connection.client().cancelSweep(sweep.value)
            if output.json { try Terminal.printJSON(info) } else { print("sweep \(info.id): \(info.state.rawValue)") }
        }
    }
}

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
