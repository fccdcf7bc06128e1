import Hummingbird
import RNNAPI

/// Hyperparameter sweeps: submit, list, one in full (trials, events, best), cancel, the best trial.
struct SweepController {
    let sweeps: SweepControl

    @Sendable func submit(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(SweepRequest.self, limit: context.maxUploadSize)
        return JSONResponse.make(try await sweeps.submit(body, uid: await context.peerUID()), status: .created)
    }

    @Sendable func list(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(SweepList(sweeps: try sweeps.store.sweeps().map { try sweeps.info($0) }))
    }

    @Sendable func get(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(try sweeps.detail(try context.sweepID()))
    }

    @Sendable func cancel(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(try await sweeps.cancel(try context.sweepID(), uid: await context.peerUID()))
    }
}
