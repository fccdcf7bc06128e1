import Hummingbird
import RNNAPI

/// 405 Method Not Allowed (with `Allow`) for a path that rnnd serves with other methods; the router alone
/// would answer 404, which tells a client the resource is missing rather than the method wrong.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each route's path components (":name" captures anything) and its method.
    let routes: [(components: [Substring], method: HTTPRequest.Method)]

    init(routes: [Router<Context>.RouteDescription]) {
        self.routes = routes.map { ("\($0.path)".split(separator: "/"), $0.method) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let components = request.uri.path.split(separator: "/")
        let methods = routes.filter { route in
            route.components.count == components.count
                && zip(route.components, components).allSatisfy { pattern, part in pattern.hasPrefix(":") || pattern == part }
        }.map(\.method)
        // HEAD is answered wherever GET is.
        guard methods.isEmpty || methods.contains(request.method) || (request.method == .head && methods.contains(.get)) else {
            let allowed = Set(methods.map(\.rawValue)).sorted().joined(separator: ", ")
            var response = JSONResponse.make(APIErrorBody(error: "\(request.method) is not served at \(request.uri.path) (allowed: \(allowed))"),
                                             status: .methodNotAllowed)
            response.headers[.allow] = allowed
            return response
        }
        return try await next(request, context)
    }
}
