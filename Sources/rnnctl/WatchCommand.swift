import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a run live until it ends.",
        discussion: """
            A progress bar with step, loss, ETA and a sparkline of the recent loss (one line per validation when \
            not on a terminal); with --json, one JSON object per event instead (for scripts). The exit status \
            reflects the end: 0 completed, 4 failed, 5 cancelled or rnnd stopped.

            Example: rnnctl watch 12
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run id.") var run: RecordID
    @Flag(help: "One JSON object per event on stdout (the API's progress events), nothing else.") var json = false

    func run() async throws {
        try await perform {
            let client = try connection.client(), id = run.value
            if json { try await Self.followAsJSON(client, id) } else { try await Self.follow(client, id) }
        }
    }

    /// Prints each event of the run's stream as one line of JSON; throws the exit code of its final state.
    static func followAsJSON(_ client: RNNClient, _ id: Int64) async throws {
        var final: RunState?
        for try await event in try await client.stream(id) {
            try Terminal.printJSON(event, pretty: false)
            fflush(nil)
            if event.kind == .state, let state = event.state, state.isFinal { final = state }
        }
        switch final {
        case .completed?: return
        case .failed?: throw ExitCode(Exit.runFailed)
        default: throw ExitCode(Exit.runStopped)
        }
    }

    /// Prints the run's progress from its event stream; throws the exit code of its final state.
    static func follow(_ client: RNNClient, _ id: Int64) async throws {
        let detail = try await client.run(id)
        let maxSteps = detail.run.maxSteps
        var line = ProgressLine(maxSteps: maxSteps)
        var final: RunState?
        var lastMessage = ""
        // Ctrl-C with the progress line drawn: end that line, so the shell's prompt starts on a line of its own.
        let interrupt = Terminal.isTTY ? Terminal.onInterrupt { printErrorInline("\n"); Foundation.exit(130) } : nil
        defer { interrupt?.cancel() }
        for try await event in try await client.stream(id) {
            switch event.kind {
            case .step:
                line.step(event)
                if Terminal.isTTY { printErrorInline("\r" + line.render(columns: Terminal.columns() - 1) + "\u{1B}[K") }
            case .validation:
                line.validation(event)
                if !Terminal.isTTY {
                    let metrics = (event.metrics ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \(Format.number($0.value))" }
                    print("step \(event.step ?? 0): train_loss \(Format.number(line.lastLoss)) \(metrics.joined(separator: " "))")
                    fflush(nil)  // every open stream: a line as it happens, also into a pipe (`rnnctl watch 3 | tee log`)
                }
            case .state:
                lastMessage = event.message ?? ""
                if let step = event.step, step > 0 { line.current = step }
                if let state = event.state, state.isFinal { final = state }
                else if Terminal.isTTY {
                    let state = "  [\(event.state?.rawValue ?? "")]"
                    printErrorInline("\r" + line.render(columns: Terminal.columns() - 1 - Terminal.width(state)) + state + "\u{1B}[K")
                }
            case .rollback, .skipped:
                if Terminal.isTTY { printErrorInline("\n") }
                print("step \(event.step ?? 0): \(event.message ?? event.kind.rawValue)")
            case .checkpoint:
                break
            }
        }
        if Terminal.isTTY { printErrorInline("\r" + line.render(columns: Terminal.columns() - 1) + "\u{1B}[K\n") }
        switch final {
        case .completed?:
            let run = try await client.run(id).run
            print("run \(id) completed at step \(run.step): train_loss \(Format.number(run.trainLoss)), best val_loss \(Format.number(run.bestValLoss)) — \(lastMessage)")
        case .failed?:
            print("run \(id) failed: \(lastMessage)")
            throw ExitCode(Exit.runFailed)
        case .cancelled?:
            print("run \(id) was cancelled: \(lastMessage)")
            throw ExitCode(Exit.runStopped)
        default:
            print("the event stream ended before run \(id) did (rnnd stopping?); `rnnctl watch \(id)` follows it again")
            throw ExitCode(Exit.runStopped)
        }
    }
}
