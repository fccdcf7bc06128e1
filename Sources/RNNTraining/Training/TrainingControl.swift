import Synchronization

/// Asks a running trainer to stop at the next step boundary (cancel, pause, shutdown). Safe from any thread.
public final class TrainingControl: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Requests a stop; `Trainer.run` writes a checkpoint and returns within one step.
    public func requestStop() { requested.store(true, ordering: .sequentiallyConsistent) }

    public var stopRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }
}
