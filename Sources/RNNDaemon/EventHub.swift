import Foundation
import NIOCore
import RNNAPI
import RNNSupport

/// Fans a run's progress out to its watchers (the SSE streams) and keeps the latest figures of every
/// training run for status answers and /metrics, so that neither polls the database.
final class EventHub: Sendable {
    private struct Watchers {
        var next = 0
        var byRun: [Int64: [Int: AsyncStream<ByteBuffer>.Continuation]] = [:]
    }
    private let watchers = Locked(Watchers())
    private let live = Locked([Int64: LiveProgress]())

    /// The latest figures of a running run.
    struct LiveProgress: Sendable {
        var step = 0
        var epoch = 0
        var trainLoss: Double?
        var valLoss: Double?
        var tokensPerSecond: Double?
        var stepsPerSecond: Double?
    }

    /// The run's events from now on as Server-Sent Events frames; the stream ends when the run reaches a final
    /// state or rnnd stops.
    func subscribe(runID: Int64) -> AsyncStream<ByteBuffer> {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(1024))
        let key = watchers.withLock { w -> Int in
            w.next += 1
            w.byRun[runID, default: [:]][w.next] = continuation
            return w.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.watchers.withLock { w in _ = w.byRun[runID]?.removeValue(forKey: key) }
        }
        return stream
    }

    func publish(runID: Int64, _ event: ProgressEvent) {
        if event.kind == .step || event.kind == .validation {
            live.withLock { all in
                var p = all[runID] ?? LiveProgress()
                if let step = event.step { p.step = step }
                if let epoch = event.epoch { p.epoch = epoch }
                if let loss = event.trainLoss { p.trainLoss = loss }
                if let tokens = event.tokensPerSecond { p.tokensPerSecond = tokens }
                if let seconds = event.metrics?["step_seconds"], seconds > 0 { p.stepsPerSecond = 1 / seconds }
                if let val = event.metrics?["val_loss"] { p.valLoss = val }
                all[runID] = p
            }
        }
        let final = event.kind == .state && event.state?.isFinal == true
        let targets = watchers.withLock { w in Array((w.byRun[runID] ?? [:]).values) }
        guard !targets.isEmpty else { return }
        // Encoded once for every watcher (a hundred watchers cost one encoding, not a hundred).
        let frame = Self.frame(event)
        for continuation in targets {
            continuation.yield(frame)
            if final { continuation.finish() }
        }
    }

    /// An event as a Server-Sent Events frame: its kind as the event name, its JSON as the data line.
    static func frame(_ event: ProgressEvent) -> ByteBuffer {
        let json = (try? APIJSON.encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ByteBuffer(string: "event: \(event.kind.rawValue)\ndata: \(json)\n\n")
    }

    /// The run left training (any state but running): its live figures go.
    func trainingEnded(runID: Int64) { _ = live.withLock { $0.removeValue(forKey: runID) } }

    func progress(runID: Int64) -> LiveProgress? { live.withLock { $0[runID] } }
    var allProgress: [Int64: LiveProgress] { live.withLock { $0 } }

    /// Ends every stream (rnnd is stopping; watchers reconnect to the next rnnd).
    func finishAll() {
        let all = watchers.withLock { w in w.byRun.values.flatMap(\.values) }
        for continuation in all { continuation.finish() }
    }
}
