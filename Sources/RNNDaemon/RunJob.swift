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
}

/// One run being trained: prepares the data and the trainer, runs it on its own thread (never on the
/// server's event loops or the Swift concurrency pool), records what it reports, and sets the final state.
final class RunJob: Sendable {
    let runID: Int64
    let store: Store
    let metrics: MetricWriter
    let hub: EventHub
    let logger: Logger
    let control = TrainingControl()
    private let intent = Mutex<StopIntent?>(nil)
    /// Records the trainer's reports in order, off the training thread.
    private let recorder: DispatchQueue

    init(runID: Int64, store: Store, metrics: MetricWriter, hub: EventHub, logger: Logger) {
        self.runID = runID
        self.store = store
        self.metrics = metrics
        self.hub = hub
        var logger = logger
        logger[metadataKey: "run.id"] = "\(runID)"
        self.logger = logger
        recorder = DispatchQueue(label: "rnnd.run\(runID).recorder")
    }

    /// Asks the run to stop at its next step boundary; the first reason asked wins.
    func requestStop(_ reason: StopIntent) {
        intent.withLock { current in if current == nil { current = reason } }
        control.requestStop()
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

    private func setState(_ state: RunState, _ cause: String, uid: Int? = nil, failure: String? = nil) {
        do {
            try store.setState(runID: runID, to: state, cause: cause, uid: uid, failure: failure)
        } catch {
            logger.error("cannot record state \(state.rawValue): \(error)")
        }
        if state != .running { hub.trainingEnded(runID: runID) }
        hub.publish(runID: runID, ProgressEvent(kind: "state", state: state.rawValue, message: cause))
    }

    private func train() {
        let prepared: (trainer: Trainer, resumedFrom: Int?)
        do {
            prepared = try prepare()
        } catch {
            logger.error("run cannot start: \(error)")
            setState(.failed, "cannot start: \(error)", failure: "\(error)")
            return
        }
        setState(.running, prepared.resumedFrom.map { "training resumed from the checkpoint of step \($0)" } ?? "training started")
        logger.info("training", metadata: ["train.step": "\(prepared.trainer.state.step)"])
        let outcome: Result<TrainingOutcome, Error> = Result { try prepared.trainer.run(control: control) }
        // Everything the trainer reported is recorded before the state changes.
        recorder.sync {}
        do { try metrics.flush() } catch { logger.error("cannot record metrics: \(error)") }
        let step = prepared.trainer.state.step
        switch outcome {
        case .success(.completed(let reason)):
            logger.info("run completed: \(reason)", metadata: ["train.step": "\(step)"])
            setState(.completed, reason)
        case .success(.stopped):
            switch intent.withLock({ $0 }) {
            case .cancel(let uid)?: setState(.cancelled, "cancelled at step \(step)" + (uid.map { " by uid \($0)" } ?? ""), uid: uid)
            case .pause(let uid)?: setState(.paused, "paused at step \(step)" + (uid.map { " by uid \($0)" } ?? ""), uid: uid)
            case .shutdown?, nil: setState(.interrupted, "rnnd stopped at step \(step); the run resumes when rnnd starts")
            }
            logger.info("run stopped", metadata: ["train.step": "\(step)"])
        case .failure(let error):
            logger.error("run failed: \(error)", metadata: ["train.step": "\(step)"])
            setState(.failed, "\(error)", failure: "\(error)")
        }
    }

    /// The trainer for this run, continuing from its latest recorded checkpoint when there is one.
    private func prepare() throws -> (Trainer, Int?) {
        guard let run = try store.run(id: runID) else { throw DaemonError(.io, "run \(runID) is gone") }
        guard let dataset = try store.dataset(id: run.datasetID) else { throw DaemonError(.io, "the dataset of run \(runID) is gone") }
        let config = try RunConfig(json: Data(run.config.utf8))
        let bytes = try Array(Data(contentsOf: store.stateDirectory.appendingPathComponent(dataset.path)))
        guard SHA256.hex(bytes) == dataset.sha256 else {
            throw DaemonError(.io, "dataset \(dataset.sha256) changed on disk; upload it again")
        }
        guard let kind = DatasetKind(rawValue: dataset.kind) else { throw DaemonError(.io, "dataset kind \(dataset.kind) is unknown") }
        let data = try DatasetLoader.load(kind: kind, bytes: bytes, name: dataset.name, config: config)
        var resume: Checkpoint?
        if let latest = try store.checkpoints(runID: runID).last {
            resume = try Checkpoint.read(from: store.stateDirectory.appendingPathComponent(latest.path))
        }
        let directory = store.stateDirectory.appendingPathComponent(Self.checkpointDirectory(runID))
        let keep = config.keepCheckpoints
        let trainer = try Trainer(config: config, data: data, checkpointDirectory: directory, resumeFrom: resume,
                                  deletesOldCheckpoints: false) { [self] event in
            recorder.async { self.record(event, keepCheckpoints: keep) }
        }
        return (trainer, resume?.state.step)
    }

    static func checkpointDirectory(_ runID: Int64) -> String { "checkpoints/\(runID)" }

    /// Stores one report of the trainer and tells the watchers.
    private func record(_ event: TrainingEvent, keepCheckpoints: Int) {
        switch event {
        case .step(let m):
            metrics.record(m.named.map { MetricPoint(runID: runID, name: $0.key, step: m.step, value: $0.value, wallTime: m.wallTime) })
            hub.publish(runID: runID, ProgressEvent(kind: "step", step: m.step, epoch: m.epoch, trainLoss: m.trainLoss, lr: m.lr,
                                                    tokensPerSecond: m.tokensPerSecond, metrics: ["step_seconds": m.stepSeconds]))
        case .validation(let step, let values):
            let wall = Date().timeIntervalSince1970
            metrics.record(values.map { MetricPoint(runID: runID, name: $0.key, step: step, value: $0.value, wallTime: wall) })
            logger.info("validation \(values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))",
                        metadata: ["train.step": "\(step)"])
            hub.publish(runID: runID, ProgressEvent(kind: "validation", step: step, metrics: values))
        case .checkpoint(let c):
            do {
                // Points up to this step are stored before the checkpoint that a resume would continue from,
                // so a crash can never leave a gap in the curve.
                try metrics.flush()
                let relative = Self.checkpointDirectory(runID) + "/" + URL(fileURLWithPath: c.path).lastPathComponent
                _ = try store.addCheckpoint(runID: runID, step: c.step, path: relative, absolutePath: c.path, size: Int64(c.size),
                                            sha256: try SHA256.hex(ofFile: c.path), valLoss: c.valLoss,
                                            kind: CheckpointRow.Kind(rawValue: c.kind.rawValue) ?? .periodic)
                try store.applyRetention(runID: runID, keepLast: keepCheckpoints, keepBest: 1)
                hub.publish(runID: runID, ProgressEvent(kind: "checkpoint", step: c.step, message: "\(c.kind.rawValue) checkpoint written"))
            } catch {
                logger.error("cannot record the checkpoint of step \(c.step): \(error)")
            }
        case .skipped(let step, let reason):
            try? store.addEvent(runID: runID, kind: "skipped", message: reason, step: step)
            hub.publish(runID: runID, ProgressEvent(kind: "skipped", step: step, message: reason))
        case .rollback(let step, let toStep, let reason):
            let message = "rolled back to the checkpoint of step \(toStep): \(reason)"
            logger.warning("\(message)", metadata: ["train.step": "\(step)"])
            try? store.addEvent(runID: runID, kind: "rollback", message: message, step: step)
            hub.publish(runID: runID, ProgressEvent(kind: "rollback", step: step, message: message))
        }
    }
}
