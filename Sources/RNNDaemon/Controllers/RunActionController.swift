import Hummingbird
import RNNAPI

/// What a user asks of a run: cancel, pause, resume, fork. The uid that asks is recorded.
struct RunActionController {
    let actions: RunActions, forks: ForkService

    @Sendable func cancel(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(try actions.cancel(try context.runID(), uid: await context.peerUID()))
    }

    @Sendable func pause(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(try actions.pause(try context.runID(), uid: await context.peerUID()))
    }

    @Sendable func resume(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(try actions.resume(try context.runID(), uid: await context.peerUID()))
    }

    @Sendable func fork(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(ForkRequest.self, limit: context.maxUploadSize)
        return JSONResponse.make(try forks.fork(try context.runID(), body, uid: await context.peerUID()), status: .created)
    }
}
