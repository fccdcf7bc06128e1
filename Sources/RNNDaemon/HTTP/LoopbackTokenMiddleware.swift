import Hummingbird
import RNNAPI

/// The loopback TCP listener's guard: a bearer token, and a Host header that names the loopback
/// interface (so a web page cannot reach the API through DNS rebinding).
struct LoopbackTokenMiddleware: RouterMiddleware {
    typealias Context = DaemonContext
    let token: String

    func handle(_ request: Request, context: DaemonContext, next: (Request, DaemonContext) async throws -> Response) async throws -> Response {
        let host = request.head.authority ?? ""
        let hostName = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }.dropFirst()) : String(host.split(separator: ":").first ?? "")
        guard ["127.0.0.1", "localhost", "::1"].contains(hostName) else {
            return JSONResponse.make(APIErrorBody(error: "Host \(host) is not a loopback name"), status: .forbidden)
        }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            return JSONResponse.make(APIErrorBody(error: "a valid bearer token is required (Authorization: Bearer …)"), status: .unauthorized)
        }
        return try await next(request, context)
    }
}
