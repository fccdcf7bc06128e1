import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNSupport

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
