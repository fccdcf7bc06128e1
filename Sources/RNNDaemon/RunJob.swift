import Foundation
import Logging
import RNNAPI
import RNNStore
import RNNTraining
import Synchronization

/// Why a running run was asked to stop at its next step boundary.
enum StopIntent: Sendable, Equatable {
    case cancel(uid: Int?)
    case pause(uid: Int?)
    case shutdown
    /// The state directory cannot be written (the text names the cause): the run pauses, to be resumed
    /// from its last complete checkpoint once the cause is fixed.
    case storageFault(String)
}

/// One run being trained: claims it (queued → running), prepares the data and the trainer, runs it on its
/// own thread (never on the server's event loops or the Swift concurrency pool), records what it reports,
/// and moves it to its final state. Every state change goes through `Store.transition`, so a run cancelled
/// or paused while it was being started is never trained.
final class RunJob: Sendable {
    let runID: Int64
    let store: Store
    let metrics: MetricWriter
    let hub: EventHub
    let logger: Logger
    let control = TrainingControl()
    private let intent = Locked<StopIntent?>(nil)
    private let shuttingDown = Atomic<Bool>(false)
    /// Records the trainer's reports in order, off the training thread.
    private let recorder: DispatchQueue
    /// max_restarts, the multi-host launch settings, and the fault-injection window.
    private let settings: DaemonSettings
    /// A debug hook for fault-injection harnesses (seconds, 0 in service): a pause before each metric flush
    /// and checkpoint row, so that a kill lands in those windows often.
    private var faultWindow: Double { settings.faultWindowSeconds }

    init(runID: Int64, store: Store, metrics: MetricWriter, hub: EventHub, logger: Logger, settings: DaemonSettings) {
        self.runID = runID
        self.store = store
        self.metrics = metrics
        self.hub = hub
        var logger = logger
        logger[metadataKey: "run.id"] = "\(runID)"
        self.logger = logger
        self.settings = settings
        recorder = DispatchQueue(label: "rnnd.run\(runID).recorder")
    }

    /// Asks the run to stop at its next step boundary; the first reason asked wins.
    func requestStop(_ reason: StopIntent) {
        if reason == .shutdown { shuttingDown.store(true, ordering: .relaxed) }
        let first = intent.withLock { current -> StopIntent in
            if current == nil { current = reason }
            return current!
        }
        if case .cancel = first { control.requestStop(final: true) } else { control.requestStop() }
    }

    /// Starts the run on a thread of its own; `finished` is called on that thread at the end.
    func start(finished: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            train()
            finished()
        }
        thread.name = "rnnd-run-\(runID)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func publishState(_ state: RunState, _ cause: String) {
        if state != .running { hub.trainingEnded(runID: runID) }
        hub.publish(runID: runID, ProgressEvent(kind: .state, state: state, message: cause))
    }

    /// Moves the running run to its end state. A write that fails (the database cannot be written) is
    /// retried until it succeeds — the run stays `running` in the store meanwhile, and this job keeps its
    /// slot so nothing else starts it — except while rnnd stops: then the next start's recovery requeues it.
    private func finish(_ state: RunState, _ cause: String, uid: Int? = nil, failure: String? = nil) {
        var delay = 0.1
        while true {
            do {
                let outcome = try store.transition(runID: runID, to: state, from: [.running], cause: cause, uid: uid, failure: failure)
                if case .refused(let current) = outcome {
                    logger.error("cannot move the run from \(current) to \(state): the state machine does not allow it")
                }
                break
            } catch {
                logger.error("cannot record the run's state \(state): \(error); retrying in \(delay) s")
                if shuttingDown.load(ordering: .relaxed) { return }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
        publishState(state, cause)
    }

    private func train() {
        let resumeStep: Int?
        do {
            resumeStep = try store.checkpoints(runID: runID).last?.step
            let cause = resumeStep.map { "training resumed from the checkpoint of step \($0)" } ?? "training started"
            guard case .moved = try store.transition(runID: runID, to: .running, from: [.queued], cause: cause) else {
                logger.info("not started: the run left the queue before it could start")
                return
            }
            publishState(.running, cause)
        } catch let error as StoreError where error.code == .notFound {
            logger.info("not started: the run was deleted")
            return
        } catch {
            logger.error("cannot start the run: \(error)")
            return
        }
        let trainer: any TrainingProcess
        do {
            trainer = try prepare()
        } catch {
            logger.error("run cannot start: \(error)")
            finish(.failed, "cannot start: \(error)", failure: "\(error)")
            return
        }
        logger.info("training", metadata: ["train.step": "\(trainer.step)"])
        let outcome: Result<TrainingOutcome, Error> = Result { try trainer.run(control: control) }
        // Everything the trainer reported is recorded before the state changes.
        recorder.sync {}
        do {
            try metrics.flush()
        } catch {
            logger.error("cannot record metrics: \(error)")
            requestStop(.storageFault("metric points cannot be written to the database: \(error)"))
        }
        let step = trainer.step
        var asked = intent.withLock { $0 }
        if case .failure(let error as TrainingError) = outcome, error.code == .storage { asked = .storageFault(error.message) }
        switch (outcome, asked) {
        case (_, .storageFault(let cause)?):
            logger.error("run paused: the state directory cannot be written: \(cause)", metadata: ["train.step": "\(step)"])
            finish(.paused, "paused at step \(step): the state directory cannot be written (\(cause)); fix that, then resume the run "
                   + "from its last complete checkpoint", failure: cause)
        case (.success(.completed(let reason)), _):
            logger.info("run completed: \(reason)", metadata: ["train.step": "\(step)"])
            finish(.completed, reason)
        case (.success(.stopped), .cancel(let uid)?):
            finish(.cancelled, "cancelled at step \(step)" + (uid.map { " by uid \($0)" } ?? ""), uid: uid)
        case (.success(.stopped), .pause(let uid)?):
            finish(.paused, "paused at step \(step)" + (uid.map { " by uid \($0)" } ?? ""), uid: uid)
        case (.success(.stopped), _):
            finish(.interrupted, "rnnd stopped at step \(step); the run resumes when rnnd starts")
        case (.failure(let lost as HostLost), _):
            requeueAfterLostHost(lost, step: step)
        case (.failure(let error), _):
            logger.error("run failed: \(error)", metadata: ["train.step": "\(step)"])
            finish(.failed, "\(error)", failure: "\(error)")
        }
        logger.info("run ended", metadata: ["train.step": "\(step)"])
    }

    /// A multi-host run whose ranks ended without a word: requeued to resume from its last checkpoint (counted
    /// against max_restarts, as a crash of rnnd is), or failed when it has used them up. It waits in
    /// `interrupted` before it is requeued — 2 s, doubling with each restart up to a minute — so that a host or
    /// link that is still down does not burn the restarts in a few seconds.
    private func requeueAfterLostHost(_ lost: HostLost, step: Int) {
        logger.error("multi-host run stopped: \(lost)", metadata: ["train.step": "\(step)"])
        do {
            let restarts = try store.run(id: runID)?.restarts ?? 0
            if restarts >= settings.maxRestarts {
                finish(.failed, "\(lost) — \(restarts + 1) times (max_restarts \(settings.maxRestarts))", failure: lost.description)
                return
            }
            try store.transition(runID: runID, to: .interrupted, from: [.running], cause: "at step \(step): \(lost)", countsRestart: true)
            publishState(.interrupted, "\(lost)")
            let wait = min(60, 2 * pow(2, Double(restarts)))
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline && !control.stopRequested { Thread.sleep(forTimeInterval: 0.1) }
            // rnnd stopping: the run stays interrupted and is requeued at the next start. A cancel meanwhile
            // moved it on, and the requeue below is refused.
            if shuttingDown.load(ordering: .relaxed) { return }
            if case .moved = try store.transition(runID: runID, to: .queued, from: [.interrupted],
                                                  cause: "requeued after \(Int(wait)) s; resumes from its last checkpoint") {
                publishState(.queued, "requeued after a lost host; resumes from its last checkpoint")
            }
        } catch {
            logger.error("cannot requeue the run: \(error); it is requeued at rnnd's next start")
        }
    }

    /// The trainer for this run, continuing from its latest recorded checkpoint when there is one: in this
    /// process, or on the run's `hosts` through mpirun.
    private func prepare() throws -> any TrainingProcess {
        guard let run = try store.run(id: runID) else { throw DaemonError(.io, "run \(runID) is gone") }
        guard let dataset = try store.dataset(id: run.datasetID) else { throw DaemonError(.io, "the dataset of run \(runID) is gone") }
        let config = try RunConfig(json: Data(run.config.utf8))
        let bytes = try Array(Data(contentsOf: store.stateDirectory.appendingPathComponent(dataset.path)))
        guard SHA256Hex.hex(bytes) == dataset.sha256 else {
            throw DaemonError(.io, "dataset \(dataset.sha256) changed on disk; upload it again")
        }
        let rows = try store.checkpoints(runID: runID)
        let directory = store.stateDirectory.appendingPathComponent(Self.checkpointDirectory(runID))
        removeUnrecordedFiles(in: directory, recorded: Set(rows.map { URL(fileURLWithPath: $0.path).lastPathComponent }))
        let keep = config.keepCheckpoints
        if !config.hosts.isEmpty {
            return try MultiHostRun(
                hosts: config.hosts, config: config, datasetPath: store.stateDirectory.appendingPathComponent(dataset.path).path,
                kind: dataset.kind, datasetName: dataset.name, checkpointDirectory: directory,
                resumeFrom: rows.last.map { store.stateDirectory.appendingPathComponent($0.path) }, resumeStep: rows.last?.step,
                jobDirectory: store.stateDirectory.appendingPathComponent("mpi/\(runID)"), settings: settings.mpi, logger: logger
            ) { [self] event in
                recorder.async { self.record(event, keepCheckpoints: keep) }
            }
        }
        let data = try DatasetLoader.load(kind: dataset.kind, bytes: bytes, name: dataset.name, config: config)
        let resume = try rows.last.map { try Checkpoint.read(from: store.stateDirectory.appendingPathComponent($0.path)) }
        return try Trainer(config: config, data: data, checkpointDirectory: directory, resumeFrom: resume,
                           deletesOldCheckpoints: false) { [self] event in
            recorder.async { self.record(event, keepCheckpoints: keep) }
        }
    }

    /// Files in the run's checkpoint folder that no row points to: temporary files of a write that was cut
    /// off, and checkpoints written after the last recorded one (rnnd stopped before their rows). The rows
    /// are the truth — the run resumes from the last recorded checkpoint — so these are leftovers.
    private func removeUnrecordedFiles(in directory: URL, recorded: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where !recorded.contains(name) {
            do {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
                logger.warning("removed \(name), a checkpoint file without a row (left by an interrupted write)")
            } catch {
                logger.warning("cannot remove the leftover checkpoint file \(name): \(error)")
            }
        }
    }

    static func checkpointDirectory(_ runID: Int64) -> String { "checkpoints/\(runID)" }

    /// Records an event row; a failure is logged and stops the run (the database cannot be written).
    private func recordEvent(_ kind: EventKind, _ message: String, step: Int) {
        do {
            try store.addEvent(runID: runID, kind: kind, message: message, step: step)
        } catch {
            logger.error("cannot record a \(kind) event: \(error)", metadata: ["train.step": "\(step)"])
            requestStop(.storageFault("events cannot be written to the database: \(error)"))
        }
    }

    /// Queues metric points; when the writer has failed, the run stops (its buffer is bounded by the stop).
    private func recordMetrics(_ points: [MetricPoint]) {
        metrics.record(points)
        if let error = metrics.lastError {
            logger.error("cannot record metrics: \(error)")
            requestStop(.storageFault("metric points cannot be written to the database: \(error)"))
        }
    }

    /// Stores one report of the trainer and tells the watchers.
    private func record(_ event: TrainingEvent, keepCheckpoints: Int) {
        switch event {
        case .step(let m):
            recordMetrics(m.named.map { MetricPoint(runID: runID, name: $0.key, step: m.step, value: $0.value, wallTime: m.wallTime) })
            hub.publish(runID: runID, ProgressEvent(kind: .step, step: m.step, epoch: m.epoch, trainLoss: m.trainLoss, lr: m.lr,
                                                    tokensPerSecond: m.tokensPerSecond, metrics: ["step_seconds": m.stepSeconds]))
        case .validation(let step, let values):
            let wall = Date().timeIntervalSince1970
            recordMetrics(values.map { MetricPoint(runID: runID, name: $0.key, step: step, value: $0.value, wallTime: wall) })
            logger.info("validation \(values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))",
                        metadata: ["train.step": "\(step)"])
            hub.publish(runID: runID, ProgressEvent(kind: .validation, step: step, metrics: values))
        case .checkpoint(let c):
            do {
                // Points up to this step are stored before the checkpoint that a resume would continue from,
                // so a crash can never leave a gap in the curve.
                Thread.sleep(forTimeInterval: faultWindow)
                try metrics.flush()
                Thread.sleep(forTimeInterval: faultWindow)
                let relative = Self.checkpointDirectory(runID) + "/" + URL(fileURLWithPath: c.path).lastPathComponent
                _ = try store.addCheckpoint(runID: runID, step: c.step, path: relative, size: Int64(c.size), valLoss: c.valLoss, kind: c.kind)
                let retention = try store.applyRetention(runID: runID, keepLast: keepCheckpoints, keepBest: 1)
                for path in retention.leftOver {
                    logger.warning("cannot remove the old checkpoint file \(path) (its row is gone: only disk space)")
                    recordEvent(.error, "the old checkpoint file \(path) could not be removed; delete it by hand to free its space", step: c.step)
                }
                hub.publish(runID: runID, ProgressEvent(kind: .checkpoint, step: c.step, message: "\(c.kind) checkpoint written"))
            } catch {
                logger.error("cannot record the checkpoint of step \(c.step): \(error)", metadata: ["train.step": "\(c.step)"])
                requestStop(.storageFault("the checkpoint of step \(c.step) cannot be recorded: \(error)"))
            }
        case .skipped(let step, let reason):
            recordEvent(.skipped, reason, step: step)
            hub.publish(runID: runID, ProgressEvent(kind: .skipped, step: step, message: reason))
        case .rollback(let step, let toStep, let reason):
            let message = "rolled back to the checkpoint of step \(toStep): \(reason)"
            logger.warning("\(message)", metadata: ["train.step": "\(step)"])
            recordEvent(.rollback, message, step: step)
            hub.publish(runID: runID, ProgressEvent(kind: .rollback, step: step, message: message))
        }
    }
}
