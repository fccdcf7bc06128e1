import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Write an online, consistent copy of rnnd's database (never cp a live database).",
        example: "rnnctl backup -o rnnd-2026-11-29.sqlite")
    @OptionGroup var connection: ConnectionOptions
    @Option(name: .shortAndLong, help: "The file to write (must not exist).") var output: String

    func run() async throws {
        try await perform {
            guard !FileManager.default.fileExists(atPath: output) else { throw CLIError.usage("\(output) exists; choose a new file") }
            let bytes = try await connection.client().backup()
            guard FileManager.default.createFile(atPath: output, contents: bytes) else { throw CLIError.usage("cannot write \(output)") }
            print("wrote \(output) (\(bytes.count) bytes)")
        }
    }
}
