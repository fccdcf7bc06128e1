import Foundation
import Hummingbird
import NIOCore
import RNNAPI
import RNNTraining
import RNNStore
import RNNSupport

/// What a run recorded and reports: metric series, checkpoints, events, and the live progress stream.
struct RunHistoryController {
    let store: Store, catalog: RunCatalog, hub: EventHub

    @Sendable func series(_ request: Request, context: DaemonContext) async throws -> Response {
        let id = try context.runID()
        let run = try catalog.record(id)
        let name = try context.parameters.require("name")
        let q = try request.formQuery()
        let maxPoints = try q.get("max_points").map { try QueryValue.integer($0, "max_points", default: 0, range: 2...1_000_000) }
        let from = try QueryValue.integer(q.get("from"), "from", default: 0, range: 0...Int.max)
        let to = try QueryValue.integer(q.get("to"), "to", default: Int.max, range: from...Int.max)
        let points = try store.series(runID: id, name: name, steps: from...to, maxPoints: maxPoints)
        if points.isEmpty {
            // A name the run never recorded is a typo — unless it is a documented metric that may still come.
            let recorded = try store.summaries(runID: id).map(\.name)
            if !recorded.contains(name) && (run.state.isFinal || !MetricName.isDocumented(name)) {
                throw APIFailure.notFound("run \(id) has no metric \"\(name)\"" + Suggestions.hint(name, known: recorded, label: "it has"))
            }
        }
        return JSONResponse.make(Series(run: id, name: name, points: points))
    }

    @Sendable func checkpoints(_ request: Request, context: DaemonContext) async throws -> Response {
        let id = try context.runID()
        _ = try catalog.record(id)
        return JSONResponse.make(try store.checkpoints(runID: id).map(CheckpointInfo.init))
    }

    @Sendable func events(_ request: Request, context: DaemonContext) async throws -> Response {
        let id = try context.runID()
        _ = try catalog.record(id)
        return JSONResponse.make(try store.events(runID: id).map(EventInfo.init))
    }

    /// Server-Sent Events: the run's current state first, then every report until the run ends.
    @Sendable func stream(_ request: Request, context: DaemonContext) async throws -> Response {
        let id = try context.runID()
        let record = try catalog.record(id)
        let events = hub.subscribe(runID: id)  // before reading the state, so nothing falls between
        let current = try catalog.info(record)
        // The message is why the run is in its state (the event that moved it there: "max_steps 600 reached",
        // "cancelled at step 120 by uid 1000"), so that watching an ended run says why it ended.
        let cause = try store.events(runID: id).last { $0.kind.enteredState == current.state }?.message
        let first = ProgressEvent(kind: .state, step: current.step, epoch: current.epoch, trainLoss: current.trainLoss,
                                  state: current.state, message: cause ?? current.state.rawValue)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            try await writer.write(EventHub.frame(first))
            if !current.isFinal {
                for await frame in events { try await writer.write(frame) }
            }
            try await writer.finish(nil)
        })
    }
}
