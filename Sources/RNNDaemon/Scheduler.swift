import Foundation
import Logging
import RNNAPI
import RNNStore
import ServiceLifecycle
import RNNSupport

/// Starts queued runs (higher priority first, then earlier submission) while fewer than
/// `concurrentRuns` train; stops them at a step boundary for cancel, pause and shutdown; after an unclean
/// stop, requeues what was running.
final class Scheduler: Service, Sendable {
    let store: Store
    let directory: StateDirectory
    let metrics: MetricWriter
    let hub: EventHub
    let settings: DaemonSettings
    let notifier: SystemdNotifier
    let logger: Logger
    let hooks: RunJobHooks
    private struct State {
        var jobs: [Int64: RunJob] = [:]
        var stopping = false
        var drained: CheckedContinuation<Void, Never>?
    }
    private let state = Locked(State())

    init(store: Store, directory: StateDirectory, metrics: MetricWriter, hub: EventHub, settings: DaemonSettings, notifier: SystemdNotifier,
         logger: Logger, hooks: RunJobHooks = .none) {
        (self.hooks, self.store, self.directory, self.metrics, self.hub) = (hooks, store, directory, metrics, hub)
        (self.settings, self.notifier, self.logger) = (settings, notifier, logger)
    }

    /// Requeues runs left running or interrupted, starts what can start, then waits for the shutdown signal
    /// and stops every run at a step boundary with a checkpoint.
    func run() async throws {
        try recover()
        schedule()
        try? await gracefulShutdown()
        await stopAll()
    }

    /// Runs left `running` by a crash are interrupted (the crash is recorded), then resume from their last
    /// checkpoint (counted against max_restarts); runs `interrupted` by a shutdown resume too; a run whose
    /// cancel (or pause) was acknowledged before the crash is cancelled (paused), as it would have been.
    func recover() throws {
        for run in try store.runs(in: .running) {
            let (_, ending) = try store.leaveRunning(runID: run.id) { asked in
                switch asked {
                case .cancel(let uid)?: RunEnding(.cancelled, "cancelled (asked before rnnd stopped unexpectedly)", uid: uid)
                case .pause(let uid)?: RunEnding(.paused, "paused (asked before rnnd stopped unexpectedly)", uid: uid)
                case nil where run.restarts >= settings.maxRestarts:
                    RunEnding(.failed, "rnnd stopped unexpectedly during this run \(run.restarts + 1) times (max_restarts \(settings.maxRestarts))",
                              failure: "too many restarts")
                case nil: RunEnding(.interrupted, "rnnd stopped unexpectedly during this run", countsRestart: true)
                }
            }
            if ending.state == .interrupted {
                try store.transition(runID: run.id, to: .queued, from: [.interrupted], cause: "requeued after rnnd stopped unexpectedly; resumes from its last checkpoint")
                logger.notice("requeued after an unclean stop", metadata: ["run.id": "\(run.id)"])
            }
        }
        for run in try store.runs(in: .interrupted) {
            try store.transition(runID: run.id, to: .queued, from: [.interrupted], cause: "requeued at start; resumes from its last checkpoint")
        }
    }

    /// Starts queued runs while there is room.
    func schedule() {
        do {
            let queued = try store.runs(in: .queued)
            let started: [RunJob] = state.withLock { s in
                guard !s.stopping else { return [] }
                var started: [RunJob] = []
                for run in queued where s.jobs.count < settings.concurrentRuns && s.jobs[run.id] == nil {
                    let job = RunJob(runID: run.id, store: store, directory: directory, metrics: metrics, hub: hub, logger: logger, settings: settings, hooks: hooks) { [self] in
                        requeue($0, after: $1)
                    }
                    s.jobs[run.id] = job
                    started.append(job)
                }
                return started
            }
            for job in started {
                job.start { [self] in finished(job.runID) }
            }
        } catch {
            logger.error("cannot read the queue: \(error)")
        }
        reportStatus()
    }

    /// Requeues an interrupted run after `seconds` (a lost host's backoff) without holding a slot meanwhile. A
    /// cancel or pause in between has moved the run on, and the requeue is refused; while rnnd stops, the run
    /// stays interrupted and is requeued at the next start.
    func requeue(_ runID: Int64, after seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            guard !state.withLock({ $0.stopping }) else { return }
            do {
                if case .moved = try store.transition(runID: runID, to: .queued, from: [.interrupted],
                                                      cause: "requeued after \(Int(seconds)) s; resumes from its last checkpoint") {
                    hub.publish(runID: runID, ProgressEvent(kind: .state, state: .queued, message: "requeued after a lost host; resumes from its last checkpoint"))
                    schedule()
                }
            } catch {
                logger.error("cannot requeue the run: \(error); it is requeued at rnnd's next start", metadata: ["run.id": "\(runID)"])
            }
        }
    }

    private func finished(_ runID: Int64) {
        let drained = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.jobs[runID] = nil
            if s.stopping && s.jobs.isEmpty { defer { s.drained = nil }; return s.drained }
            return nil
        }
        drained?.resume()
        schedule()
    }

    func job(_ runID: Int64) -> RunJob? { state.withLock { $0.jobs[runID] } }
    var runningCount: Int { state.withLock { $0.jobs.count } }

    func reportStatus() {
        let running = runningCount
        do {
            let queued = try store.runCounts()[.queued] ?? 0
            notifier.status("\(running) running, \(queued) queued")
        } catch {
            logger.error("cannot count the queued runs: \(error)")
            notifier.status("\(running) running")
        }
    }

    /// Asks every run to stop at its next step boundary (writing a checkpoint) and waits for them all.
    func stopAll() async {
        let jobs = state.withLock { s -> [RunJob] in
            s.stopping = true
            return Array(s.jobs.values)
        }
        guard !jobs.isEmpty else { return }
        logger.info("stopping \(jobs.count) run(s) at a step boundary")
        for job in jobs { job.requestStop(.shutdown) }
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Bool in
                if s.jobs.isEmpty { return true }
                s.drained = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
