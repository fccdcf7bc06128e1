@preconcurrency import Dispatch
import Synchronization

/// Batches metric points into the store off the training threads: one transaction per `batchSize` points
/// or per `interval`, whichever comes first. `record` only appends to a buffer.
public final class MetricWriter: Sendable {
    let store: Store
    let batchSize: Int
    let queue = DispatchQueue(label: "rnnd.metric-writer")
    private let buffer = Mutex<[MetricPoint]>([])
    private let failure = Mutex<StoreError?>(nil)
    // DispatchSourceTimer is thread-safe but not annotated Sendable; it is only scheduled and cancelled.
    private nonisolated(unsafe) let timer: DispatchSourceTimer

    public init(store: Store, batchSize: Int = 1000, interval: Double = 0.25) {
        self.store = store
        self.batchSize = batchSize
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.writePending() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Queues points; a full batch is written at once on the writer's queue.
    public func record(_ points: [MetricPoint]) {
        let full = buffer.withLock { pending in
            pending += points
            return pending.count >= batchSize
        }
        if full { queue.async { [self] in writePending() } }
    }

    /// Writes everything queued so far and waits for it (end of a run, shutdown).
    public func flush() throws {
        queue.sync { writePending() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// The first write error, if any (the points of a failed batch are kept and retried).
    public var lastError: StoreError? { failure.withLock { $0 } }

    private func writePending() {
        let points = buffer.withLock { pending -> [MetricPoint] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !points.isEmpty else { return }
        do {
            try store.recordMetrics(points)
        } catch {
            let storeError = error as? StoreError ?? StoreError(.database, "\(error)")
            failure.withLock { $0 = $0 ?? storeError }
            buffer.withLock { $0.insert(contentsOf: points, at: 0) }
        }
    }
}
