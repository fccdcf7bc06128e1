import RNNAPI
import RNNSupport
@preconcurrency import Dispatch

/// Batches metric points into the store off the training threads: one transaction per `batchSize` points
/// or per `interval`, whichever comes first. `record` only appends to a buffer.
///
/// A batch that cannot be written stays in the buffer and is retried; the buffer is bounded by `capacity`
/// points. While writes fail, `lastError` says why, and callers stop producing (rnnd stops the run at a
/// step boundary): the points of a stopped run after its last checkpoint are produced again when it
/// resumes, and those before it were flushed before its row, so a refused point is never a lost curve.
public final class MetricWriter: Sendable {
    let store: Store
    let batchSize: Int
    let capacity: Int
    let queue = DispatchQueue(label: "rnnd.metric-writer")
    private let buffer = Locked<[MetricPoint]>([])
    private let failure = Locked<StoreError?>(nil)
    // DispatchSourceTimer is thread-safe but not annotated Sendable; it is only scheduled and cancelled.
    private nonisolated(unsafe) let timer: DispatchSourceTimer

    public init(store: Store, batchSize: Int = 1000, interval: Double = 0.25, capacity: Int = 1_000_000) {
        self.store = store
        self.batchSize = batchSize
        self.capacity = capacity
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.writePending() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Queues points; a full batch is written at once on the writer's queue. Points beyond `capacity` are
    /// refused (and `lastError` says so).
    public func record(_ points: [MetricPoint]) {
        let (full, overflow) = buffer.withLock { pending -> (Bool, Bool) in
            guard pending.count + points.count <= capacity else { return (true, true) }
            pending += points
            return (pending.count >= batchSize, false)
        }
        if overflow {
            failure.withLock {
                $0 = $0 ?? StoreError(.database, "\(capacity) metric points wait to be written; the database does not keep up")
            }
        }
        if full { queue.async { [self] in writePending() } }
    }

    /// Writes everything queued so far and waits for it (before a checkpoint row, end of a run, shutdown).
    public func flush() throws {
        queue.sync { writePending() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Why the last write failed, while writes fail (nil once a write succeeds again).
    public var lastError: StoreError? { failure.withLock { $0 } }

    /// Writes what is buffered; the points leave the buffer only once they are committed, so the buffer
    /// (and its capacity) counts every point not yet in the database.
    private func writePending() {
        let points = buffer.withLock { $0 }
        guard !points.isEmpty else { return }
        do {
            try store.recordMetrics(points)
            buffer.withLock { $0.removeFirst(points.count) }
            failure.withLock { $0 = nil }
        } catch {
            let storeError = error as? StoreError ?? StoreError(.database, "\(error)", cause: error)
            failure.withLock { $0 = storeError }
        }
    }
}
