import Foundation
import Logging
import RNNAPI
@testable import RNNDaemon
import RNNStore
import Testing

/// Every run's event log is a path of the state machine (`RunState.sources(of:)`), whatever the
/// interleaving of API calls with the scheduler and the runs' own threads; a final state is the last event.
func expectValidPath(_ events: [EventRow], run: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
    var state: RunState?
    for event in events {
        if let final = state, final.isFinal {
            Issue.record("run \(run): \(event.kind) event after reaching \(final): \(events.map(\.kind))", sourceLocation: sourceLocation)
            return
        }
        guard let entered = event.kind.enteredState else { continue }
        if event.kind == .submitted {
            if state != nil { Issue.record("run \(run): submitted twice", sourceLocation: sourceLocation) }
        } else if let from = state, !from.canMove(to: entered) {
            Issue.record("run \(run): \(from) → \(entered) is not a transition of the machine: \(events.map(\.kind))", sourceLocation: sourceLocation)
            return
        } else if state == nil {
            Issue.record("run \(run): \(entered) before submitted", sourceLocation: sourceLocation)
        }
        state = entered
    }
}

@Suite(.serialized) struct RunStateRaceTests {
    /// A daemon's run control without HTTP: the real store on a file, the scheduler, real (tiny) training.
    struct Rig {
        let directory: URL
        let store: Store
        let scheduler: Scheduler
        let control: RunControl
        let dataset: String

        init(concurrentRuns: Int) throws {
            directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rnnd-race-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("datasets"), withIntermediateDirectories: true)
            store = try Store(path: directory.appendingPathComponent("rnnd.sqlite").path)
            let text = Data(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 20).utf8)
            dataset = SHA256Hex.hex(text)
            try text.write(to: directory.appendingPathComponent("datasets/\(dataset)"))
            _ = try store.addDataset(sha256: dataset, name: "fox.txt", kind: .text, size: Int64(text.count), path: "datasets/\(dataset)")
            var settings = try DaemonSettings.resolve(flags: ["--state-dir": directory.path, "--socket": "/tmp/unused.sock"], configFile: nil,
                                                      environment: ["HOME": directory.path], uid: getuid(), cores: 2,
                                                      readFile: { _ in nil })
            settings.concurrentRuns = concurrentRuns
            let hub = EventHub()
            var logger = Logger(label: "race")
            logger.logLevel = .critical
            scheduler = Scheduler(store: store, metrics: MetricWriter(store: store), hub: hub, settings: settings,
                                  notifier: SystemdNotifier(environment: [:]), logger: logger)
            control = RunControl(store: store, scheduler: scheduler, hub: hub, settings: settings)
        }

        func submit(steps: Int) async throws -> Int64 {
            try await control.submit(SubmitRequest(dataset: dataset, config: [
                "hidden_size": .int(4), "embedding_size": .int(4), "seq_len": .int(4), "batch_size": .int(2), "workers": .int(1),
                "max_steps": .int(steps), "checkpoint_every": .int(2), "eval_every": .int(3), "val_fraction": .double(0.1),
            ]), uid: 1000).id
        }

        /// Waits until nothing is queued or running and no job is left.
        func settle(seconds: Double = 120) async throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let counts = try store.runCounts()
                if (counts[.queued] ?? 0) == 0 && (counts[.running] ?? 0) == 0 && scheduler.runningCount == 0 { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("runs did not settle: \(try store.runCounts())")
        }
    }

    @Test func concurrentCancelPauseResumeKeepEveryRunOnTheStateMachine() async throws {
        let rig = try Rig(concurrentRuns: 2)
        defer { try? FileManager.default.removeItem(at: rig.directory) }
        // Three callers fire cancel / pause / resume at random recent runs while runs are submitted and
        // the scheduler starts and finishes them; refusals (409) are expected, anything else is not.
        let submitted = Locked<[Int64]>([])
        let done = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 0..<120 {
                    let id = try await rig.submit(steps: 10 + (i * 7) % 30)
                    submitted.withLock { $0.append(id) }
                }
                done.withLock { $0 = true }
            }
            for caller in 0..<3 {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    var after = 0
                    while after < 200 {
                        if done.withLock({ $0 }) { after += 1 }
                        guard let id = submitted.withLock({ $0.suffix(12).randomElement(using: &random) }) else {
                            try await Task.sleep(for: .milliseconds(1))
                            continue
                        }
                        do {
                            switch Int.random(in: 0..<3, using: &random) {
                            case 0: _ = try rig.control.cancel(id, uid: caller)
                            case 1: _ = try rig.control.pause(id, uid: caller)
                            default: _ = try rig.control.resume(id, uid: caller)
                            }
                        } catch let failure as APIFailure where failure.status == .conflict {
                            // Refused: the run had moved on. Expected.
                        }
                        // Always a pause, so that the callers never starve the submitter and the runs.
                        try await Task.sleep(for: .microseconds(Int.random(in: 100..<2000, using: &random)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let ids = submitted.withLock { $0 }
        // Let what is paused go on, and everything end.
        for id in ids where try rig.store.run(id: id)?.state == .paused { _ = try rig.control.resume(id, uid: nil) }
        try await rig.settle()
        var cancelled = 0, completed = 0
        for id in ids {
            let events = try rig.store.events(runID: id)
            expectValidPath(events, run: id)
            let state = try #require(try rig.store.run(id: id)).state
            #expect(state.isFinal, "run \(id) ended \(state)")
            if state == .cancelled {
                cancelled += 1
                // Never trained again: nothing but the cancel follows its last start, and no checkpoint after it.
                let end = try #require(events.lastIndex { $0.kind == .cancelled })
                #expect(events[end...].allSatisfy { $0.kind == .cancelled }, "run \(id): events after its cancel: \(events[end...].map(\.kind))")
            }
            if state == .completed { completed += 1 }
        }
        #expect(ids.count == 120)
        #expect(cancelled >= 5 && completed >= 5, "the interleavings reached both ends: \(cancelled) cancelled, \(completed) completed")
    }

    @Test func aRunCancelledWhileStartingNeverTrains() async throws {
        let rig = try Rig(concurrentRuns: 1)
        defer { try? FileManager.default.removeItem(at: rig.directory) }
        // Submit then cancel at once, many times: the scheduler may already have picked the run.
        for _ in 0..<60 {
            let id = try await rig.submit(steps: 4)
            _ = try rig.control.cancel(id, uid: 7)
        }
        try await rig.settle()
        for run in try rig.store.listRuns(filter: nil, sort: ["id"], limit: 1000, offset: 0) {
            let events = try rig.store.events(runID: run.run.id)
            expectValidPath(events, run: run.run.id)
            #expect(run.run.state == .cancelled, "run \(run.run.id) is \(run.run.state): \(events.map(\.kind))")
        }
    }
}
