import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The uploaded datasets (name, kind, size, SHA-256, upload time, runs using each), or delete one no run uses.",
        discussion: """
            `rnnctl datasets` lists; `rnnctl datasets delete SHA256` deletes (a unique prefix of at least 6 \
            characters is enough; refused while a run uses the dataset: delete those runs first).

            Example: rnnctl datasets delete 3f2a9c
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: TableOutputOptions
    @Argument(help: "list (the default) or delete.") var action: Action = .list
    @Argument(help: "delete: the dataset's SHA-256 or a unique prefix of it.") var sha256: String?

    enum Action: String, ExpressibleByArgument, CaseIterable { case list, delete }

    func validate() throws {
        if action == .delete && sha256 == nil { throw ValidationError("datasets delete needs the dataset's SHA-256") }
        if action == .list && sha256 != nil { throw ValidationError("datasets list takes no SHA-256 (did you mean datasets delete?)") }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            switch action {
            case .list: try await list(client)
            case .delete: try await delete(client, prefix: sha256!.lowercased())
            }
        }
    }

    func list(_ client: RNNClient) async throws {
        let datasets = try await client.datasets()
        if output.json { try Terminal.printJSON(DatasetList(datasets: datasets)); return }
        print(Table(columns: ["name", "kind", "size", "sha256", "uploaded", "runs"], rows: datasets.map {
            [$0.name, $0.kind.rawValue, Format.bytes($0.size), String($0.sha256.prefix(12)), Format.time($0.createdAt), String($0.runs ?? 0)]
        }).render(header: !output.noHeader))
    }

    func delete(_ client: RNNClient, prefix: String) async throws {
        guard prefix.count >= 6 else { throw CLIError.usage("give at least 6 characters of the SHA-256") }
        let matches = try await client.datasets().filter { $0.sha256.hasPrefix(prefix) }
        guard matches.count == 1, let dataset = matches.first else {
            throw CLIError.usage(matches.isEmpty ? "no dataset's SHA-256 starts with \(prefix)"
                                 : "\(prefix) is the start of \(matches.count) datasets' SHA-256; give more of it")
        }
        try await client.deleteDataset(sha256: dataset.sha256)
        print("dataset \(dataset.name) (\(dataset.sha256.prefix(12))) deleted, \(Format.bytes(dataset.size)) freed")
    }
}
