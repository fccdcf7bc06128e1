import Hummingbird
import RNNAPI

/// Turns every error a route throws into the API's JSON error body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = APIFailure.from(error)
            if failure.status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(failure.body.error)") }
            return JSONResponse.make(failure.body, status: failure.status)
        }
    }
}
