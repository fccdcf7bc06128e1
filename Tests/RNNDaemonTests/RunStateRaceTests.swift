import Foundation
import Logging
import RNNAPI
@testable import RNNDaemon
import RNNStore
import Testing
import RNNSupport

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
        let parts: DaemonParts
        var scheduler: Scheduler { parts.scheduler }
        var actions: RunActions { parts.actions }
        let dataset: String

        init(concurrentRuns: Int, hooks: RunJobHooks = .none) throws {
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
            var logger = Logger(label: "race")
            logger.logLevel = .critical
            parts = DaemonParts(settings: settings, store: store, notifier: SystemdNotifier(environment: [:]), logger: logger, hooks: hooks)
        }

        func submit(steps: Int) async throws -> Int64 {
            try await parts.runs.submit(SubmitRequest(dataset: dataset, config: [
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
                            case 0: _ = try rig.actions.cancel(id, uid: caller)
                            case 1: _ = try rig.actions.pause(id, uid: caller)
                            default: _ = try rig.actions.resume(id, uid: caller)
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
        for id in ids where try rig.store.run(id: id)?.state == .paused { _ = try rig.actions.resume(id, uid: nil) }
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
        // Submit then cancel at once, many times: the scheduler may already have picked the run, or (on a
        // loaded machine) the run may even have finished before the cancel arrived — then the answer says so.
        var refused: [Int64: String] = [:]
        for _ in 0..<60 {
            let id = try await rig.submit(steps: 4)
            do {
                _ = try rig.actions.cancel(id, uid: 7)
            } catch let failure as APIFailure where failure.status == .conflict {
                refused[id] = failure.body.error
            }
        }
        try await rig.settle()
        for run in try rig.store.listRuns(filter: nil, sort: ["id"], limit: 1000, offset: 0) {
            let events = try rig.store.events(runID: run.run.id)
            expectValidPath(events, run: run.run.id)
            if let refusal = refused[run.run.id] {
                #expect(refusal == "run \(run.run.id) had already completed; nothing to cancel" && run.run.state == .completed,
                        "run \(run.run.id) is \(run.run.state), the cancel was refused with \"\(refusal)\"")
                #expect(!events.contains { $0.kind == .cancelRequested }, "run \(run.run.id): \(events.map(\.kind))")
            } else {
                #expect(run.run.state == .cancelled, "run \(run.run.id) is \(run.run.state): \(events.map(\.kind))")
            }
        }
    }

    /// Holds each run's job between its last step and its final transition until released.
    final class Gate: Sendable {
        let held = Locked<Set<Int64>>([])
        let release = DispatchSemaphore(value: 0)
        var hooks: RunJobHooks {
            RunJobHooks(beforeEnding: { [self] id in
                held.withLock { _ = $0.insert(id) }
                release.wait()
            })
        }

        func waitUntilHeld(_ id: Int64, seconds: Double = 120) async throws {
            let deadline = Date().addingTimeInterval(seconds)
            while !held.withLock({ $0.contains(id) }) {
                guard Date() < deadline else { throw GateTimeout(run: id, seconds: seconds) }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    struct GateTimeout: Error, CustomStringConvertible {
        let run: Int64, seconds: Double
        var description: String { "run \(run)'s job did not reach its final transition within \(Int(seconds)) s" }
    }

    @Test func aCancelAcknowledgedAfterTheLastStepEndsTheRunCancelledWithItsFinalCheckpoint() async throws {
        let gate = Gate()
        let rig = try Rig(concurrentRuns: 1, hooks: gate.hooks)
        defer { try? FileManager.default.removeItem(at: rig.directory) }
        let id = try await rig.submit(steps: 4)
        // The trainer has returned `completed` and its reports are recorded; the run is still running.
        try await gate.waitUntilHeld(id)
        let answer = try rig.actions.cancel(id, uid: 7)
        #expect(answer.state == .running, "the cancel was acknowledged as requested")
        gate.release.signal()
        try await rig.settle()
        let run = try #require(try rig.store.run(id: id))
        let events = try rig.store.events(runID: id)
        expectValidPath(events, run: id)
        #expect(run.state == .cancelled, "run \(id) is \(run.state): \(events.map(\.kind))")
        #expect(events.last?.message == "cancelled at step 4 by uid 7 (training had also reached its end: max_steps 4 reached)",
                "\(events.last.map(\.message) ?? "no event")")
        let last = try rig.store.checkpoints(runID: id).last
        #expect(last?.step == 4 && last?.kind == .final, "nothing trained is lost: \(String(describing: last))")
        // The request follows every checkpoint written before it.
        let request = try #require(events.firstIndex { $0.kind == .cancelRequested })
        #expect(!events[request...].contains { $0.kind == .checkpoint }, "\(events.map(\.kind))")
    }

    @Test func aPauseAcknowledgedAfterTheLastStepEndsTheRunPausedAndResumeCompletesIt() async throws {
        let gate = Gate()
        let rig = try Rig(concurrentRuns: 1, hooks: gate.hooks)
        defer { try? FileManager.default.removeItem(at: rig.directory) }
        let id = try await rig.submit(steps: 4)
        try await gate.waitUntilHeld(id)
        #expect(try rig.actions.pause(id, uid: 8).state == .running)
        gate.release.signal()
        try await rig.settle()
        #expect(try rig.store.run(id: id)?.state == .paused)
        #expect(try rig.store.events(runID: id).last?.message == "paused at step 4 by uid 8 (training had also reached its end: max_steps 4 reached)")
        _ = try rig.actions.resume(id, uid: 8)
        gate.release.signal()
        try await rig.settle()
        let events = try rig.store.events(runID: id)
        expectValidPath(events, run: id)
        #expect(try rig.store.run(id: id)?.state == .completed, "\(events.map(\.kind))")
        #expect(try rig.store.checkpoints(runID: id).last?.step == 4, "the resumed run trained no step past max_steps")
    }

    @Test func aCancelOrPauseAfterTheEndIsRefusedNamingHowTheRunEnded() async throws {
        let rig = try Rig(concurrentRuns: 1)
        defer { try? FileManager.default.removeItem(at: rig.directory) }
        let id = try await rig.submit(steps: 2)
        try await rig.settle()
        #expect(try rig.store.run(id: id)?.state == .completed)
        let cancel = #expect(throws: APIFailure.self) { try rig.actions.cancel(id, uid: 7) }
        #expect(cancel?.status == .conflict && cancel?.body.error == "run \(id) had already completed; nothing to cancel", "\(String(describing: cancel?.body))")
        let pause = #expect(throws: APIFailure.self) { try rig.actions.pause(id, uid: 7) }
        #expect(pause?.body.error == "run \(id) had already completed; nothing to pause", "\(String(describing: pause?.body))")
        #expect(!(try rig.store.events(runID: id)).contains { $0.kind == .cancelRequested || $0.kind == .pauseRequested })
    }

    @Test func aStopRecordedBeforeACrashDecidesTheRunsStateAtRecovery() async throws {
        let rig = try Rig(concurrentRuns: 1)
        defer { try? FileManager.default.removeItem(at: rig.directory) }
        // Two runs left `running` by a crash (no job): one with a recorded pause, one with a pause then a cancel.
        let paused = try await rig.submit(steps: 2), cancelled = try await rig.submit(steps: 2)
        for id in [paused, cancelled] {
            try rig.store.transition(runID: id, to: .running, from: [.queued], cause: "training started")
            #expect(try rig.store.requestStop(runID: id, .pause(uid: 3), message: "pause requested") == .running)
        }
        #expect(try rig.store.requestStop(runID: cancelled, .cancel(uid: 4), message: "cancel requested") == .running)
        try rig.scheduler.recover()
        #expect(try rig.store.run(id: paused)?.state == .paused)
        #expect(try rig.store.run(id: cancelled)?.state == .cancelled)
        #expect(try rig.store.events(runID: cancelled).last?.uid == 4)
    }

    @Test func aRecordedRequestDecidesTheEndAndKeepsWhatTrainingReachedInTheCause() {
        let completed = RunEnding(.completed, "max_steps 9 reached")
        let failed = RunEnding(.failed, "training diverged", failure: "training diverged")
        let storage = RunEnding(.paused, "paused at step 9: the state directory cannot be written (disk full)", failure: "disk full")
        let stopped = RunEnding(.interrupted, "rnnd stopped at step 9; the run resumes when rnnd starts")
        #expect(RunJob.ending(completed, asked: nil, step: 9) == completed)
        #expect(RunJob.ending(stopped, asked: .cancel(uid: 5), step: 9) == RunEnding(.cancelled, "cancelled at step 9 by uid 5", uid: 5))
        #expect(RunJob.ending(completed, asked: .cancel(uid: nil), step: 9)
                == RunEnding(.cancelled, "cancelled at step 9 (training had also reached its end: max_steps 9 reached)"))
        #expect(RunJob.ending(failed, asked: .cancel(uid: 1), step: 9).state == .cancelled)
        // A pause does not hide a failure (resuming would fail again), and keeps a storage fault's reason.
        #expect(RunJob.ending(failed, asked: .pause(uid: 1), step: 9) == failed)
        let paused = RunJob.ending(storage, asked: .pause(uid: 2), step: 9)
        #expect(paused.state == .paused && paused.failure == "disk full" && paused.cause.contains("cannot be written"), "\(paused)")
    }
}
