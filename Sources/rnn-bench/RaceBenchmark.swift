import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNSupport

/// The run-state races at scale: many tiny runs submitted to a real rnnd while several callers fire cancel,
/// pause and resume at the latest ones over the socket. Checked afterwards, for every run: its event log is a
/// path of the state machine with nothing after a final state; a cancel rnnd acknowledged ended the run
/// `cancelled`; every recorded pause request was followed by `paused` (or a cancel) before the run trained
/// again; a 409 "had already …" named the state the run really ended in.
struct RaceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration.benchmark("races", "Fire cancel, pause and resume at a real rnnd's runs and check every promise (exit 1 on a violation).", example: "rnn-bench races --runs 2000 --callers 3")
    @Option(help: "Runs to submit.") var runs = 1000
    @Option(help: "Concurrent callers sending cancel, pause and resume.") var callers = 3
    @Option(help: "Runs that train at once (rnnd's --concurrent-runs).") var concurrentRuns = 2

    /// What a caller was told about a run.
    struct Answer: Sendable {
        var run: Int64
        var action: String
        /// The run's state in a 2xx answer; nil for a refusal.
        var state: RunState?
        /// The refusal's message.
        var refusal: String?
    }

    func run() async throws {
        let root = URL(fileURLWithPath: "/tmp/rnn-bench-races-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let daemon = try ChaosBenchmark.Daemon(directory: root, windowMs: 0, extraArguments: ["--concurrent-runs", "\(concurrentRuns)"])
        defer { daemon.stop() }
        try await daemon.start()
        let corpus = root.appendingPathComponent("fox.txt")
        try Data(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 20).utf8).write(to: corpus)
        let client = daemon.client
        let sha = try await client.uploadDataset(file: corpus.path, name: "fox.txt", kind: .text).sha256
        let started = Date()
        let submitted = Locked<[Int64]>([]), answers = Locked<[Answer]>([]), done = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [runs] in
                for i in 0..<runs {
                    let config: [String: APIValue] = [
                        "hidden_size": .int(4), "embedding_size": .int(4), "seq_len": .int(4), "batch_size": .int(2), "workers": .int(1),
                        "max_steps": .int(4 + (i * 7) % 20), "checkpoint_every": .int(2), "eval_every": .int(3), "val_fraction": .double(0.1)]
                    let id = try await client.submit(SubmitRequest(dataset: sha, config: config)).id
                    submitted.withLock { $0.append(id) }
                }
                done.withLock { $0 = true }
            }
            for _ in 0..<callers {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    while !done.withLock({ $0 }) {
                        guard let id = submitted.withLock({ $0.suffix(8).randomElement(using: &random) }) else {
                            try await Task.sleep(for: .milliseconds(1))
                            continue
                        }
                        let action = ["cancel", "pause", "resume"].randomElement(using: &random)!
                        var answer = Answer(run: id, action: action)
                        do {
                            let info = switch action {
                            case "cancel": try await client.cancel(id)
                            case "pause": try await client.pause(id)
                            default: try await client.resume(id)
                            }
                            answer.state = info.state
                        } catch ClientError.api(let status, let body) where status == 409 {
                            answer.refusal = body.error
                        }
                        answers.withLock { $0.append(answer) }
                        try await Task.sleep(for: .microseconds(Int.random(in: 200..<3000, using: &random)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let ids = submitted.withLock { $0 }
        // What is paused goes on, so that every run ends.
        for id in ids where try await client.run(id).run.state == .paused { _ = try? await client.resume(id) }
        try await daemon.waitUntilFinal(ids, seconds: 1800)

        var problems: [String] = []
        var details: [Int64: RunDetail] = [:]
        for id in ids { details[id] = try await client.run(id) }
        for (id, detail) in details.sorted(by: { $0.key < $1.key }) { problems += Self.pathProblems(id, detail.events.map(\.kind)) }
        let all = answers.withLock { $0 }
        for answer in all {
            let final = details[answer.run]!.run.state
            if answer.action == "cancel", answer.state != nil, final != .cancelled {
                problems.append("run \(answer.run): the cancel was acknowledged (\(answer.state!)) but the run ended \(final)")
            }
            if let refusal = answer.refusal, refusal.contains("had already") {
                let named = final == .cancelled ? "been cancelled" : final.rawValue
                if !refusal.contains("had already \(named)") { problems.append("run \(answer.run): refused with \"\(refusal)\" but it ended \(final)") }
            }
        }
        let states = Dictionary(grouping: details.values, by: \.run.state).mapValues(\.count)
        let acknowledged = all.filter { $0.state != nil }.count
        print("\(ids.count) runs, \(all.count) requests (\(acknowledged) acknowledged, \(all.count - acknowledged) refused) by \(callers) callers in "
              + String(format: "%.0f s", Date().timeIntervalSince(started)) + "; ended: "
              + states.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        if problems.isEmpty {
            print("every promise held")
        } else {
            print("\(problems.count) violations:\n  " + problems.prefix(50).joined(separator: "\n  "))
            throw ExitCode(1)
        }
    }

    /// What is wrong with one run's event log: a step outside the state machine, anything after a final state,
    /// a pause request not followed by `paused` or `cancelled`, a cancel request not followed by `cancelled`.
    static func pathProblems(_ id: Int64, _ kinds: [EventKind]) -> [String] {
        var state: RunState?
        var pausePending = false, cancelPending = false
        for (index, kind) in kinds.enumerated() {
            if let final = state, final.isFinal { return ["run \(id): \(kind) after \(final): \(kinds)"] }
            switch kind {
            case .cancelRequested: cancelPending = true
            case .pauseRequested: pausePending = true
            default: break
            }
            guard let entered = kind.enteredState else { continue }
            if kind != .submitted, let from = state, !from.canMove(to: entered) { return ["run \(id): \(from) → \(entered) at event \(index): \(kinds)"] }
            if cancelPending && entered != .cancelled { return ["run \(id): a recorded cancel request was followed by \(entered): \(kinds)"] }
            if pausePending && entered != .paused && entered != .cancelled { return ["run \(id): a recorded pause request was followed by \(entered): \(kinds)"] }
            if entered != .running { pausePending = false }
            state = entered
        }
        return state?.isFinal == true ? [] : ["run \(id): never ended: \(kinds)"]
    }
}
