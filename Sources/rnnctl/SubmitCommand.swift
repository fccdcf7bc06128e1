import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNSupport

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a run: a dataset and a configuration.",
        discussion: """
            The configuration comes from --config (a JSON object of keys, or TOML-style key = value lines), then \
            --set overrides. --data uploads the file (or reuses it when rnnd already has the same bytes).

            Example: rnnctl submit --data shakespeare.txt --set hidden_size=256 --set max_steps=2000 --watch
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The dataset file to upload (text, .csv or .jsonl).") var data: String?
    @Option(help: "The dataset's kind: text, csv or jsonl (default: from the file's extension; .json and .ndjson are jsonl).") var kind: DatasetKind?
    @Option(help: "An uploaded dataset's SHA-256, instead of --data.") var dataset: String?
    @Option(name: .customLong("from"), help: "Rerun RUN with changes: its whole configuration and dataset, then --config and --set.") var from: RecordID?
    @Option(help: "A configuration file: a JSON object, or key = value lines (strings quoted).") var config: String?
    @Option(name: .customLong("set"), help: "A configuration key, e.g. --set lr=0.001 (repeatable).") var assignments: [String] = []
    @Option(help: "The run's name.") var name: String?
    @Option(parsing: .unconditional, help: "Higher runs first.") var priority: Int?
    @Option(help: "A tag (repeatable).") var tag: [String] = []
    @Flag(name: .shortAndLong, help: "Print only the run id.") var quiet = false
    @Flag(help: "Follow the run until it ends.") var watch = false
    @OptionGroup var output: JSONOption

    func validate() throws {
        if output.json && watch { throw ValidationError("give --json or --watch, not both (watch the run with: rnnctl watch RUN --json)") }
        if data != nil && dataset != nil { throw ValidationError("give --data FILE or --dataset SHA256, not both") }
        if data == nil && dataset == nil && from == nil { throw ValidationError("give --data FILE, --dataset SHA256 or --from RUN") }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            // --from: the whole configuration and dataset of that run, under what this command changes.
            var origin: RunDetail?
            if let from { origin = try await client.run(from.value) }
            var values = origin?.config ?? [:]
            values.merge(try config.map(Self.readConfig) ?? [:]) { $1 }
            values.merge(try parseAssignments(assignments)) { $1 }
            let sha: String
            if let data {
                sha = try await Self.upload(client, file: data, kind: kind, quiet: quiet).sha256
            } else {
                sha = dataset ?? origin!.run.dataset
            }
            let run = try await client.submit(SubmitRequest(name: name, dataset: sha, config: values, priority: priority,
                                                            tags: tag.isEmpty ? nil : tag, derivedFrom: origin?.run.id,
                                                            datasetName: data.map { ($0 as NSString).lastPathComponent }))
            if output.json { try Terminal.printJSON(run) } else if quiet { print(run.id) } else { print("submitted run \(run.id) (\(run.name)), \(run.state)") }
            if watch { try await Watch.follow(client, run.id) }
        }
    }

    static func kind(of file: String, given: DatasetKind?) -> DatasetKind {
        if let given { return given }
        switch (file as NSString).pathExtension.lowercased() {
        case "csv": return .csv
        case "jsonl", "ndjson", "json": return .jsonl  // a .json dataset is JSON Lines (one document would not be a dataset)
        default: return .text
        }
    }

    /// Uploads `file` unless rnnd already has its bytes (same SHA-256), with a progress bar on a terminal.
    static func upload(_ client: RNNClient, file: String, kind given: DatasetKind?, quiet: Bool) async throws -> DatasetInfo {
        let kind = kind(of: file, given: given)
        guard FileManager.default.isReadableFile(atPath: file) else { throw CLIError.usage(FileProblem.cannotRead(file)) }
        guard let sha = try? SHA256Hex.hex(ofFile: file) else { throw CLIError.usage(FileProblem.cannotRead(file)) }
        if let existing = try await client.dataset(sha256: sha) {
            if !quiet { printError("dataset \(file) already uploaded (\(sha.prefix(12)))") }
            return existing
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
        let showProgress = !quiet && isatty(STDERR_FILENO) == 1 && size > 4 << 20
        let info = try await client.uploadDataset(file: file, name: (file as NSString).lastPathComponent, kind: kind) { sent in
            if showProgress {
                printErrorInline("\ruploading \(ProgressBar.bar(fraction: Double(sent) / Double(max(size, 1)), width: 30)) \(sent >> 20)/\(size >> 20) MiB")
            }
        }
        if showProgress { printErrorInline("\n") }
        if !quiet { printError("uploaded \(file) (\(info.size) bytes, \(info.sha256.prefix(12)))") }
        return info
    }

    /// A JSON object of keys, or `key = value` lines (KeyValueFile: TOML's simple form).
    static func readConfig(_ path: String) throws -> [String: APIValue] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.usage(FileProblem.cannotRead(path)) }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard let object = try? APIJSON.decoder.decode([String: APIValue].self, from: data) else {
                throw CLIError.usage("\(path): not a JSON object of keys and values (numbers, strings, booleans, lists of strings)")
            }
            return object
        }
        do { return try KeyValueFile.parse(text, file: path) } catch { throw CLIError.usage(error.description) }
    }
}
