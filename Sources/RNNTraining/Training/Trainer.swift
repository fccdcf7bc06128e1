import Dispatch
import Foundation
import RNNCore

/// Trains one run: W replicas on W serial Dispatch queues, gradients all-reduced in a fixed order, a
/// divergence guard, validation, early stopping, checkpoints that resume exactly.
///
/// `run` blocks the calling thread, which only coordinates; the work runs on the replicas' own queues,
/// never on the caller's thread pool. Progress goes to `sink` in order.
public final class Trainer: @unchecked Sendable {
    // @unchecked Sendable: the mutable state below is touched only by the thread inside `run`; the
    // replicas' buffers only from their queues while that thread waits (see Replica).
    public let config: RunConfig
    public let data: any TrainingData
    public let network: Network
    let parameters: Buffer<Float>
    let reduced: Buffer<Float>
    let optimizer: Optimizer<Float>
    let schedule: LearningRateSchedule
    let replicas: [Replica]
    let validationWorkspace: Workspace<Float>
    /// The trivial predictor on the validation split, reported beside every validation (computed once).
    let validationBaseline: Baseline?
    let checkpointDirectory: URL?
    /// Whether the trainer deletes old checkpoint files itself (keep_checkpoints + best); rnnd's store
    /// does it instead, row first, so that a row never points to a deleted file.
    let deletesOldCheckpoints: Bool
    let sink: @Sendable (TrainingEvent) -> Void
    /// The other hosts of a multi-host run (nil: this machine only). Its replicas are this rank's share.
    let hosts: (any HostGroup)?
    public internal(set) var state = TrainerState()
    /// The last checkpoint written (or the initial state): where a rollback returns to.
    var rollbackPoint: Checkpoint?
    var periodicCheckpointSteps: [Int] = []
    /// The last checkpoint file written, and the step of the checkpoint this trainer resumed from.
    var lastWritten: CheckpointRecord?
    var resumedStep: Int?
    /// Fault-injection windows (none in service).
    let faults: FaultHooks

    /// A new run from `config`'s seed, or, with `resumeFrom`, the continuation of a checkpointed one.
    /// With `hosts`, this trainer is one rank of a multi-host run: every rank is built from the same
    /// configuration, data and checkpoint, trains its share of each minibatch's rows, and takes every decision
    /// (stop, limits, skips, rollbacks) from numbers all ranks share, so their parameters stay bitwise equal.
    public init(config: RunConfig, data: any TrainingData, checkpointDirectory: URL?, resumeFrom checkpoint: Checkpoint? = nil,
                deletesOldCheckpoints: Bool = true, hosts: (any HostGroup)? = nil, faults: FaultHooks = .none,
                sink: @escaping @Sendable (TrainingEvent) -> Void) throws {
        self.config = config
        self.faults = faults
        self.data = data
        let network = Network(spec: data.networkSpec(config))
        self.network = network
        let count = network.parameterCount
        parameters = Buffer(count: count)
        reduced = Buffer(count: count)
        optimizer = Optimizer(kind: Trainer.optimizerKind(config), weightDecay: config.weightDecay, parameterCount: count)
        schedule = Trainer.schedule(config)
        let hostCount = hosts?.count ?? 1, rank = hosts?.rank ?? 0
        guard data.batchSize >= hostCount else {
            throw TrainingError(.invalidConfig, "batch_size \(data.batchSize) is smaller than the \(hostCount) hosts: each host needs a row", key: "batch_size")
        }
        let workers = min(config.workers, data.batchSize / hostCount), seqLen = data.seqLen
        // Rows are split over every replica of every host; replica i of rank r trains the rows of global replica r·W + i.
        let rowRanges = Replica.split(data.batchSize, into: hostCount * workers)
        let chunks = Replica.split(count, into: workers, alignment: 16)
        replicas = (0..<workers).map {
            Replica(index: $0, spec: network.spec, parameterCount: count, rows: rowRanges[rank * workers + $0], chunk: chunks[$0], seqLen: seqLen)
        }
        self.hosts = hosts
        validationWorkspace = Workspace(spec: network.spec, batchCapacity: data.batchSize, seqCapacity: data.seqLen)
        validationBaseline = data.validationBaseline
        self.checkpointDirectory = checkpointDirectory
        self.deletesOldCheckpoints = deletesOldCheckpoints
        self.sink = sink
        if let checkpoint {
            try restore(checkpoint)
            resumedStep = checkpoint.state.step
        } else {
            network.initializeParameters(parameters.buffer, seed: config.seed)
        }
        rollbackPoint = try checkpoint ?? makeCheckpoint()
    }

    /// The optimizer a configuration asks for.
    public static func optimizerKind(_ c: RunConfig) -> OptimizerKind {
        switch c.optimizer {
        case .sgd: .sgd(momentum: c.momentum, nesterov: c.nesterov)
        case .adam: .adam(beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon)
        case .adamw: .adamW(beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon)
        case .rmsprop: .rmsprop(alpha: 0.99, epsilon: c.epsilon, momentum: c.momentum)
        }
    }

    static func schedule(_ c: RunConfig) -> LearningRateSchedule {
        let shape: LearningRateSchedule.Shape
        switch c.lrSchedule {
        case .constant: shape = .constant
        case .step: shape = .step(every: c.lrStep, gamma: c.lrDecay)
        case .exponential: shape = .exponential(gamma: c.lrDecay)
        case .cosine: shape = .cosine(totalSteps: max(1, c.maxSteps - c.warmupSteps), minimum: c.minLR)
        }
        return LearningRateSchedule(base: c.lr, shape: shape, warmupSteps: c.warmupSteps)
    }

    /// The current parameters (a copy).
    public var currentParameters: [Float] { parameters.array }

    /// Trains until a limit, early stopping, a stop request (then writes a checkpoint to resume from), or
    /// divergence (throws `.diverged`).
    public func run(control: TrainingControl = TrainingControl()) throws -> TrainingOutcome {
        let started = DispatchTime.now().uptimeNanoseconds
        let elapsedBefore = state.elapsed
        func elapsed() -> Double { elapsedBefore + Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let tokensPerStep = Double(data.batchSize * (data.carriesState ? data.seqLen : 1))
        let stepsPerEpoch = data.stepsPerEpoch

        while true {
            // A multi-host run stops and hits time limits on rank 0's word, at the same step on every rank.
            var stopRequested = control.stopRequested, now = elapsed()
            if let hosts {
                let agreed = try hosts.broadcast([stopRequested ? 1 : 0, now])
                stopRequested = agreed[0] != 0
                now = agreed[1]
            }
            if let reason = limitReached(elapsed: now) {
                state.elapsed = now
                if config.evalEvery == 0 || state.step % config.evalEvery != 0 { try validate() }
                _ = try writeCheckpoint(kind: .final)
                return .completed(reason: reason)
            }
            if stopRequested {
                state.elapsed = now
                return .stopped(checkpoint: try writeCheckpoint(kind: control.stopIsFinal ? .final : .periodic))
            }
            if state.indexInEpoch >= stepsPerEpoch {
                state.epoch += 1
                state.indexInEpoch = 0
                continue
            }
            let stepStart = DispatchTime.now().uptimeNanoseconds
            // accumulate_steps consecutive minibatches of this epoch (fewer at its end) make one step.
            let count = min(config.accumulateSteps, stepsPerEpoch - state.indexInEpoch)
            let batches = (0..<count).map { data.trainingBatch(epoch: state.epoch, index: state.indexInEpoch + $0) }
            if data.carriesState && state.indexInEpoch == 0 {
                for r in replicas { r.workspace.resetState() }
            }
            let communicationBefore = hosts?.communicationSeconds ?? 0
            let result = try trainStep(batches)
            state.step += 1
            state.indexInEpoch += count
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
            switch result {
            case .applied(let loss, let norm, let lr, let reduceSeconds):
                state.consecutiveSkips = 0
                sink(.step(StepMetrics(step: state.step, epoch: state.epoch, trainLoss: loss, gradNorm: norm, lr: lr,
                                       tokensPerSecond: tokensPerStep * Double(count) / seconds, wallTime: elapsed(),
                                       stepSeconds: seconds, reduceAndUpdateSeconds: reduceSeconds,
                                       communicationSeconds: (hosts?.communicationSeconds ?? 0) - communicationBefore)))
                if config.spikeFactor > 0, state.recentLosses.count >= 10 {
                    let median = state.recentLosses.sorted()[state.recentLosses.count / 2]
                    if loss > config.spikeFactor * median {
                        try rollBack(reason: "loss \(loss) is more than spike_factor \(config.spikeFactor) × the recent median \(median)")
                        continue
                    }
                }
                state.recentLosses.append(loss)
                if state.recentLosses.count > 50 { state.recentLosses.removeFirst() }
            case .skipped(let reason):
                state.skippedSteps += 1
                state.consecutiveSkips += 1
                sink(.skipped(step: state.step, reason: reason))
                if state.consecutiveSkips >= config.maxSkips {
                    try rollBack(reason: "\(state.consecutiveSkips) consecutive steps had a non-finite loss or gradient")
                    continue
                }
            }
            if config.evalEvery > 0 && state.step % config.evalEvery == 0 {
                state.elapsed = elapsed()
                try validate()
            }
            if config.checkpointEvery > 0 && state.step % config.checkpointEvery == 0 {
                state.elapsed = elapsed()
                _ = try writeCheckpoint(kind: .periodic)
            }
        }
    }

    private func limitReached(elapsed: Double) -> String? {
        if config.maxSteps > 0 && state.step >= config.maxSteps { return "max_steps \(config.maxSteps) reached" }
        if config.maxEpochs > 0 && state.epoch >= config.maxEpochs { return "max_epochs \(config.maxEpochs) reached" }
        if config.maxTime > 0 && elapsed >= config.maxTime { return "max_time \(config.maxTime) s reached" }
        if config.patience > 0 && state.validationsSinceBest >= config.patience {
            return "early stop: no better val_loss in \(config.patience) validations (best \(state.bestValLoss ?? .nan) at step \(state.bestStep ?? 0))"
        }
        return nil
    }

    private func rollBack(reason: String) throws {
        state.rollbacks += 1
        guard state.rollbacks <= config.maxRollbacks, let point = rollbackPoint else {
            throw TrainingError(.diverged, "training diverged at step \(state.step): \(reason), after \(state.rollbacks - 1) rollbacks; lower lr (now \(config.lr)) or clip_norm (now \(config.clipNorm)), or add warmup_steps")
        }
        // Parameters and optimizer state come back; the step counter and data position go on, past the
        // batches that caused the trouble.
        let keep = state
        try restore(point)
        state.step = keep.step
        state.epoch = keep.epoch
        state.indexInEpoch = keep.indexInEpoch
        state.rollbacks = keep.rollbacks
        state.skippedSteps = keep.skippedSteps
        state.elapsed = keep.elapsed
        state.consecutiveSkips = 0
        state.recentLosses = []
        sink(.rollback(step: state.step, toStep: point.state.step, reason: reason))
    }
}
