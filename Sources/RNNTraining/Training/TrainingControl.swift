import Synchronization

/// Asks a running trainer to stop at the next step boundary (cancel, pause, shutdown). Safe from any thread.
public final class TrainingControl: Sendable {
    private let requested = Atomic<Bool>(false)
    private let final = Atomic<Bool>(false)

    public init() {}

    /// Requests a stop; `Trainer.run` writes a checkpoint and returns within one step. `final`: the run ends
    /// here (a cancel), so the checkpoint is recorded as the run's final one, not as one to resume from.
    public func requestStop(final: Bool = false) {
        if final { self.final.store(true, ordering: .sequentiallyConsistent) }
        requested.store(true, ordering: .sequentiallyConsistent)
    }

    public var stopRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }
    public var stopIsFinal: Bool { final.load(ordering: .sequentiallyConsistent) }
}
