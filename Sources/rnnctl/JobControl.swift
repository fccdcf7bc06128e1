import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

/// cancel, pause, resume: one request per run id.
protocol RunAction: AsyncParsableCommand {
    var connection: ConnectionOptions { get }
    var runs: [String] { get }
    static var verb: String { get }
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo
}

extension RunAction {
    func run() async throws {
        try await perform {
            let client = try connection.client()
            for text in runs {
                let run = try await Self.apply(client, try parseRunID(text))
                print("run \(run.id): \(Self.verb) (now \(run.state))")
            }
        }
    }
}

struct Cancel: RunAction {
    static let configuration = CommandConfiguration(
        abstract: "Cancel runs: a queued run at once, a running one at its next step boundary after a checkpoint.",
        discussion: "Example: rnnctl cancel 12 13")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [String]
    static let verb = "cancel requested"
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo { try await client.cancel(id) }
}

struct Pause: RunAction {
    static let configuration = CommandConfiguration(
        abstract: "Pause runs (a running run stops at its next step boundary with a checkpoint).",
        discussion: "Example: rnnctl pause 12")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [String]
    static let verb = "pause requested"
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo { try await client.pause(id) }
}

struct Resume: RunAction {
    static let configuration = CommandConfiguration(
        abstract: "Queue paused runs again; each continues from its last checkpoint.",
        discussion: "Example: rnnctl resume 12")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [String]
    static let verb = "queued again"
    static func apply(_ client: RNNClient, _ id: Int64) async throws -> RunInfo { try await client.resume(id) }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete runs that are not running, with their metrics and checkpoint files.",
        discussion: "Example: rnnctl delete 12")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [String]

    func run() async throws {
        try await perform {
            let client = try connection.client()
            for text in runs {
                let id = try parseRunID(text)
                try await client.delete(id)
                print("run \(id) deleted")
            }
        }
    }
}

struct Fork: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a new run from one of a run's checkpoints, with changed hyperparameters.",
        discussion: "Example: rnnctl fork 12 --checkpoint best --set lr=0.001 --set max_steps=4000")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run to fork.") var run: String
    @Option(help: "best, latest or a step.") var checkpoint = "latest"
    @Option(name: .customLong("set"), help: "A changed key, e.g. --set lr=0.001 (repeatable).") var assignments: [String] = []
    @Option(help: "The new run's name.") var name: String?
    @Flag(name: .shortAndLong, help: "Print only the new run's id.") var quiet = false
    @Flag(help: "Follow the new run until it ends.") var watch = false

    func run() async throws {
        try await perform {
            let client = try connection.client()
            let forked = try await client.fork(try parseRunID(run), ForkRequest(checkpoint: checkpoint, set: try parseAssignments(assignments), name: name))
            if quiet { print(forked.id) } else { print("run \(forked.id) forked from run \(run) at step \(forked.parentCheckpointStep ?? 0), \(forked.state)") }
            if watch { try await Watch.follow(client, forked.id) }
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an online, consistent copy of rnnd's database (never cp a live database).",
        discussion: "Example: rnnctl backup -o rnnd-2026-11-29.sqlite")
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
