import Foundation
import Logging
import RNNAPI
import RNNStore
import RNNTraining
import Synchronization
import RNNSupport

/// Why a running run was asked to stop at its next step boundary.
enum StopIntent: Sendable, Equatable {
    case cancel(uid: Int?)
    case pause(uid: Int?)
    case shutdown
    /// The state directory cannot be written (the text names the cause): the run pauses, to be resumed
    /// from its last complete checkpoint once the cause is fixed.
    case storageFault(String)
}

/// Points where a test or a fault-injection harness holds a run's job: one injected value, no globals.
struct RunJobHooks: Sendable {
    /// On the job's thread once the trainer has returned and everything it reported is recorded, just before
    /// the run leaves `running`: the window between the last step and the final state.
    var beforeEnding: @Sendable (_ runID: Int64) -> Void = { _ in }
    /// Before each metric flush and checkpoint row, and inside the trainer's checkpoint writes: the windows a
    /// fault-injection harness widens (`RNND_FAULT_WINDOW_MS`) so that its kills land there often.
    var faults: FaultHooks = .none

    static let none = RunJobHooks()

    /// Pauses of `seconds` at every fault window (nothing when 0).
    static func faultWindow(seconds: Double) -> RunJobHooks { RunJobHooks(faults: .pause(seconds: seconds)) }
}

/// One run being trained: claims it (queued → running), prepares the data and the trainer, runs it on its
/// own thread (never on the server's event loops or the Swift concurrency pool), records what it reports,
/// and moves it to its final state. Every state change goes through `Store.transition`, so a run cancelled
/// or paused while it was being started is never trained.
final class RunJob: Sendable {
    let runID: Int64
    let store: Store
    let directory: StateDirectory
    let metrics: MetricWriter
    let hub: EventHub
    let logger: Logger
    let control = TrainingControl()
    private let intent = Locked<StopIntent?>(nil)
    private let shuttingDown = Atomic<Bool>(false)
    /// Records the trainer's reports in order, off the training thread.
    private let recorder: DispatchQueue
    /// max_restarts and the multi-host launch settings.
    private let settings: DaemonSettings
    private let hooks: RunJobHooks
    /// Requeues the interrupted run after the given seconds, without this job (the scheduler's).
    private let requeueLater: @Sendable (_ runID: Int64, _ seconds: Double) -> Void

    init(runID: Int64, store: Store, directory: StateDirectory, metrics: MetricWriter, hub: EventHub, logger: Logger, settings: DaemonSettings, hooks: RunJobHooks = .none,
         requeueLater: @escaping @Sendable (Int64, Double) -> Void) {
        (self.hooks, self.requeueLater, self.runID, self.store) = (hooks, requeueLater, runID, store)
        (self.directory, self.metrics, self.hub) = (directory, metrics, hub)
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

    /// Runs `body` on the recorder queue, after every report of the trainer queued so far: a stop request
    /// recorded this way follows, in the event log, the checkpoints written before it.
    func inRecordOrder<T>(_ body: () throws -> T) rethrows -> T { try recorder.sync(execute: body) }

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

    /// Moves the running run out of `running`: to what a user asked while it trained (a recorded cancel, then
    /// a pause) or else to `reached`, what training reached — decided in the transaction that writes it, so an
    /// acknowledged request is never lost to a run that ended meanwhile. A write that fails (the database
    /// cannot be written) is retried until it succeeds — the run stays `running` in the store meanwhile, and
    /// this job keeps its slot so nothing else starts it — except while rnnd stops: then the next start's
    /// recovery decides the same way.
    @discardableResult
    private func finish(_ reached: RunEnding, step: Int) -> RunEnding? {
        hooks.beforeEnding(runID)
        var delay = 0.1
        while true {
            do {
                let (outcome, ending) = try store.leaveRunning(runID: runID) { RunJob.ending(reached, asked: $0, step: step) }
                if case .refused(let current) = outcome {
                    logger.error("cannot move the run from \(current) to \(ending.state): the state machine does not allow it")
                    return nil
                }
                publishState(ending.state, ending.cause)
                return ending
            } catch {
                logger.error("cannot record the run's end (\(reached.state)): \(error); retrying in \(delay) s")
                if shuttingDown.load(ordering: .relaxed) { return nil }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
    }

    /// A recorded cancel ends the run `cancelled` whatever training reached (its last checkpoint is kept); a
    /// recorded pause ends it `paused` unless training failed (resuming would fail again).
    static func ending(_ reached: RunEnding, asked: StopRequest?, step: Int) -> RunEnding {
        // What training reached stays in the cause; a storage fault's reason also stays the run's failure.
        let also = switch reached.state {
        case .completed: " (training had also reached its end: \(reached.cause))"
        case .failed: " (training had also failed: \(reached.cause))"
        case .paused: " (\(reached.cause))"
        default: ""
        }
        switch asked {
        case .cancel(let uid)?:
            return RunEnding(.cancelled, "cancelled at step \(step)" + askedBy(uid) + also, uid: uid)
        case .pause(let uid)? where reached.state != .failed:
            return RunEnding(.paused, "paused at step \(step)" + askedBy(uid) + also, uid: uid,
                             failure: reached.state == .paused ? reached.failure : nil)
        default:
            return reached
        }
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
        } catch let error as DaemonError where error.code == .missingDataset {
            // Nothing is wrong with the run: it waits, paused, until the file is back.
            logger.error("run paused: \(error)")
            finish(RunEnding(.paused, "paused: \(error)", failure: "\(error)"), step: resumeStep ?? 0)
            return
        } catch {
            logger.error("run cannot start: \(error)")
            finish(RunEnding(.failed, "cannot start: \(error)", failure: "\(error)"), step: resumeStep ?? 0)
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
        var storageFault: String?
        if case .storageFault(let cause)? = intent.withLock({ $0 }) { storageFault = cause }
        if case .failure(let error as TrainingError) = outcome, error.code == .storage { storageFault = error.message }
        switch outcome {
        case _ where storageFault != nil:
            let cause = storageFault!
            logger.error("run paused: the state directory cannot be written: \(cause)", metadata: ["train.step": "\(step)"])
            finish(RunEnding(.paused, "paused at step \(step): the state directory cannot be written (\(cause)); fix that, then resume the run "
                             + "from its last complete checkpoint", failure: cause), step: step)
        case .success(.completed(let reason)):
            logger.info("run completed: \(reason)", metadata: ["train.step": "\(step)"])
            finish(RunEnding(.completed, reason), step: step)
        case .success(.stopped):
            // A cancel or pause is recorded in the store before the job is asked to stop, so `finish` finds it;
            // a stop nobody recorded is rnnd's shutdown.
            finish(RunEnding(.interrupted, "rnnd stopped at step \(step); the run resumes when rnnd starts"), step: step)
        case .failure(let lost as HostLost):
            requeueAfterLostHost(lost, step: step)
        case .failure(let error):
            logger.error("run failed: \(error)", metadata: ["train.step": "\(step)"])
            finish(RunEnding(.failed, "\(error)", failure: "\(error)"), step: step)
        }
        logger.info("run ended", metadata: ["train.step": "\(step)"])
    }

    /// A multi-host run whose ranks ended without a word, or never all started: interrupted, to be requeued
    /// (resuming from its last checkpoint, counted against max_restarts as a crash of rnnd is), or failed when
    /// it has used them up. It waits in `interrupted` — 2 s, doubling with each restart up to a minute — so that
    /// a host or link that is still down does not burn the restarts in a few seconds; the wait holds no
    /// training slot, and a cancel or pause meanwhile moves the run on at once (the requeue is then refused).
    private func requeueAfterLostHost(_ lost: HostLost, step: Int) {
        logger.error("multi-host run stopped: \(lost)", metadata: ["train.step": "\(step)"])
        do {
            let restarts = try store.run(id: runID)?.restarts ?? 0
            let reached = restarts >= settings.maxRestarts
                ? RunEnding(.failed, "\(lost) — \(restarts + 1) times (max_restarts \(settings.maxRestarts))", failure: lost.description)
                : RunEnding(.interrupted, "at step \(step): \(lost)", countsRestart: true)
            guard let ending = finish(reached, step: step), ending.state == .interrupted else { return }
            requeueLater(runID, min(60, 2 * pow(2, Double(restarts))))
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
        let datasetURL = directory.url(dataset.path)
        guard FileManager.default.fileExists(atPath: datasetURL.path) else {
            throw DaemonError(.missingDataset, "the dataset file \(datasetURL.path) (\(dataset.name)) is missing from the state directory; upload the same "
                              + "file again (rnnctl upload) to restore it, then resume the run")
        }
        let bytes = try Array(Data(contentsOf: datasetURL))
        guard SHA256Hex.hex(bytes) == dataset.sha256 else {
            throw DaemonError(.io, "the dataset file \(datasetURL.path) (\(dataset.name)) changed on disk: its SHA-256 is no longer "
                              + "\(dataset.sha256.prefix(12)); upload the original file again")
        }
        let checkpoints = directory.checkpointFolder(runID: runID)
        removeUnrecordedFiles(in: checkpoints, recorded: Set(try store.checkpoints(runID: runID).map { URL(fileURLWithPath: $0.path).lastPathComponent }))
        let intact = try lastIntactCheckpoint()
        let keep = config.keepCheckpoints
        if !config.hosts.isEmpty {
            return try MultiHostRun(
                hosts: config.hosts, config: config, datasetPath: datasetURL.path,
                kind: dataset.kind, datasetName: dataset.name, checkpointDirectory: checkpoints,
                resumeFrom: intact.map { directory.url($0.row.path) }, resumeStep: intact?.row.step,
                jobDirectory: directory.mpiJob(runID: runID), settings: settings.mpi, logger: logger
            ) { [self] event in
                recorder.async { self.record(event, keepCheckpoints: keep) }
            }
        }
        let data = try DatasetLoader.load(kind: dataset.kind, bytes: bytes, name: dataset.name, config: config, resuming: intact?.checkpoint)
        return try Trainer(config: config, data: data, checkpointDirectory: checkpoints, resumeFrom: intact?.checkpoint,
                           deletesOldCheckpoints: false, faults: hooks.faults) { [self] event in
            recorder.async { self.record(event, keepCheckpoints: keep) }
        }
    }

    /// The newest recorded checkpoint whose file reads back intact (magic, version, checksum). A damaged or
    /// missing file is an `error` event naming it and why; its row goes and the file is kept beside as
    /// `<step>.ckpt.damaged`, and the one before is tried, so the run resumes from its last good checkpoint.
    /// When damaged files leave none, the run cannot start, and the error names them.
    private func lastIntactCheckpoint() throws -> (row: CheckpointRow, checkpoint: Checkpoint)? {
        var damaged: [String] = []
        for row in try store.checkpoints(runID: runID).reversed() {
            let url = directory.url(row.path)
            do {
                return (row, try Checkpoint.read(from: url))
            } catch {
                damaged.append(url.path)
                let aside = url.appendingPathExtension("damaged")
                if FileManager.default.fileExists(atPath: url.path) {
                    try? FileManager.default.removeItem(at: aside)
                    try FileManager.default.moveItem(at: url, to: aside)
                }
                let message = "the checkpoint file \(url.path) cannot be resumed from (\(error)); kept as \(aside.lastPathComponent), "
                    + "the run continues from the checkpoint before it, if any"
                logger.error("\(message)", metadata: ["train.step": "\(row.step)"])
                try store.discardCheckpoint(runID: runID, step: row.step, message: message)
            }
        }
        if !damaged.isEmpty {
            throw DaemonError(.io, "no intact checkpoint to resume from: \(damaged.joined(separator: ", ")) \(damaged.count == 1 ? "is" : "are") damaged or missing")
        }
        return nil
    }

    /// Files in the run's checkpoint folder that no row points to: temporary files of a write that was cut
    /// off, and checkpoints written after the last recorded one (rnnd stopped before their rows). The rows
    /// are the truth — the run resumes from the last recorded checkpoint — so these are leftovers.
    private func removeUnrecordedFiles(in directory: URL, recorded: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where !recorded.contains(name) && !name.hasSuffix(".damaged") {
            do {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
                logger.warning("removed \(name), a checkpoint file without a row (left by an interrupted write)")
            } catch {
                logger.warning("cannot remove the leftover checkpoint file \(name): \(error)")
            }
        }
    }

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
                hooks.faults.at(.beforeMetricFlush)
                try metrics.flush()
                hooks.faults.at(.beforeCheckpointRow)
                let relative = StateDirectory.checkpointFolder(runID: runID) + "/" + URL(fileURLWithPath: c.path).lastPathComponent
                let file = try directory.checkpointFile(relative, size: Int64(c.size))
                _ = try store.addCheckpoint(runID: runID, step: c.step, path: relative, size: file.size, sha256: file.sha256, valLoss: c.valLoss, kind: c.kind)
                let retired = try store.applyRetention(runID: runID, keepLast: keepCheckpoints, keepBest: 1)
                for path in directory.removeFiles(retired) {
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
