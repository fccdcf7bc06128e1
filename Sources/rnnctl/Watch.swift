import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a run live until it ends.",
        discussion: """
            A progress bar with step, loss, ETA and a sparkline of the recent loss (one line per validation when \
            not on a terminal). The exit status reflects the end: 0 completed, 4 failed, 5 cancelled or rnnd stopped.

            Example: rnnctl watch 12
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The run id.") var run: String

    func run() async throws {
        try await perform {
            try await Self.follow(try connection.client(), try parseRunID(run))
        }
    }

    /// Prints the run's progress from its event stream; throws the exit code of its final state.
    static func follow(_ client: RNNClient, _ id: Int64) async throws {
        let detail = try await client.run(id)
        let maxSteps = detail.run.maxSteps
        var line = ProgressLine(maxSteps: maxSteps)
        var final: RunState?
        var lastMessage = ""
        for try await event in try await client.stream(id) {
            switch event.kind {
            case .step:
                line.step(event)
                if Terminal.isTTY { printErrorInline("\r" + line.render() + "\u{1B}[K") }
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
                else if Terminal.isTTY { printErrorInline("\r" + line.render() + "  [\(event.state?.rawValue ?? "")]\u{1B}[K") }
            case .rollback, .skipped:
                if Terminal.isTTY { printErrorInline("\n") }
                print("step \(event.step ?? 0): \(event.message ?? event.kind.rawValue)")
            case .checkpoint:
                break
            }
        }
        if Terminal.isTTY { printErrorInline("\r" + line.render() + "\u{1B}[K\n") }
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

/// Step/total, a bar, loss, rate, ETA and a sparkline of the last losses.
struct ProgressLine {
    let maxSteps: Int
    var current = 0
    var lastLoss: Double?
    var valLoss: Double?
    var tokensPerSecond: Double?
    var stepSeconds: Double?
    var recent: [Double] = []

    mutating func step(_ e: ProgressEvent) {
        current = e.step ?? current
        lastLoss = e.trainLoss
        tokensPerSecond = e.tokensPerSecond
        if let s = e.metrics?["step_seconds"] { stepSeconds = stepSeconds.map { 0.9 * $0 + 0.1 * s } ?? s }
        if let loss = e.trainLoss, loss.isFinite {
            recent.append(loss)
            if recent.count > 40 { recent.removeFirst() }
        }
    }

    mutating func validation(_ e: ProgressEvent) { valLoss = e.metrics?["val_loss"] ?? valLoss }

    func render() -> String {
        var parts = [maxSteps > 0 ? "step \(current)/\(maxSteps)" : "step \(current)"]
        if maxSteps > 0 { parts.append(ProgressBar.bar(fraction: Double(current) / Double(maxSteps), width: 24)) }
        parts.append("loss \(Format.number(lastLoss, digits: 3))")
        if let valLoss { parts.append("val \(Format.number(valLoss, digits: 3))") }
        parts.append(Sparkline.render(recent))
        if let t = tokensPerSecond { parts.append("\(Format.rate(t)) tok/s") }
        if maxSteps > current, let s = stepSeconds { parts.append("ETA \(Format.duration(Double(maxSteps - current) * s))") }
        return parts.joined(separator: "  ")
    }
}

enum ProgressBar {
    static func bar(fraction: Double, width: Int) -> String {
        let f = min(max(fraction, 0), 1)
        let filled = Int((f * Double(width)).rounded(.down))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] " + String(format: "%3.0f%%", f * 100)
    }
}

enum Sparkline {
    static let ticks = Array("▁▂▃▄▅▆▇█")
    static func render(_ values: [Double]) -> String {
        guard let lo = values.min(), let hi = values.max() else { return "" }
        return String(values.map { v in ticks[hi > lo ? Int(((v - lo) / (hi - lo) * 7).rounded()) : 0] })
    }
}
